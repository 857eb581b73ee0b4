/*
 * enrich.c - the d4c-enrich transform (see enrich.h).
 *
 * Per line: jscan records where the members that matter are; the process
 * table learns from the event; the context (container, pod, host,
 * ancestors) is looked up in caches of pre-serialized fragments; then the
 * output is the input with a handful of edits (sorted, non-overlapping)
 * applied while copying.
 *
 * Entity ids. d4c-load writes "<boot id>-<pid>-<start>" with the kernel's
 * task start time in ns (CLOCK_MONOTONIC since boot). Processes that
 * predate d4c-enrich are read from /proc, whose starttime is in clock
 * ticks (CLOCK_BOOTTIME): such an entry gets "<boot id>-<pid>-<ticks x ns
 * per tick>" and is marked approximate; the first event that names the
 * same pid with a start in the same tick (+-1, the clocks agree unless
 * the machine was suspended) replaces it with the id d4c-load wrote. So
 * an id that d4c-load emitted is never changed; an id made here is used
 * until an event names the process (events before that carry the made-up
 * one: the price of not waiting for an event that may never come).
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "enrich.h"
#include "event.h"
#include "heartbeat.h"
#include "htab.h"
#include "idnames.h"
#include "jscan.h"
#include "jsonw.h"
#include "names.h"
#include "util.h"

const char *const enrich_miss_names[MISS_N] = {
	[MISS_CTR_ID] = "container.id",
	[MISS_CTR_NAME] = "container.name",
	[MISS_CTR_IMAGE] = "container.image.name",
	[MISS_NAMESPACE] = "orchestrator.namespace",
	[MISS_POD_NAME] = "orchestrator.resource.name",
	[MISS_LABELS] = "orchestrator.resource.label",
	[MISS_PARENT] = "process.parent",
	[MISS_GROUP_LEADER] = "process.group_leader",
	[MISS_SESSION_LEADER] = "process.session_leader",
	[MISS_ENTRY_LEADER] = "process.entry_leader",
};

/* ---- what the scanner records ------------------------------------------------ */

enum {
	P_ROOT,
	P_ECS,
	P_AGENT,
	P_AGENT_ID,
	P_EVENT,
	P_EV_KIND,
	P_EV_ACTION,
	P_EV_DATASET,
	P_EV_INGESTED,
	P_FILE,
	P_PROC,
	P_PID,
	P_NAME,
	P_EXE,
	P_ARGS,
	P_ARGC,
	P_CWD,
	P_START,
	P_EID,
	P_INTER,
	P_UID,
	P_GID,
	P_PARENT,
	P_PARENT_PID,
	P_PARENT_EID,
	P_PARENT_START,
	P_GL,
	P_GL_PID,
	P_SL,
	P_SL_PID,
	P_EL,
	P_EL_PID,
	P_EL_EID,
	P_EL_START,
	P_EL_META,
	P_CTR,
	P_CTR_ID,
	P_ORCH,
	P_HOST,
	P_CD,
	P_CD_PENDING,
	P_CLOUD,
	P_USER,
	P_USER_NAME,
	P_GROUP,
	P_GROUP_NAME,
	P_N
};

static const char *const paths[P_N] = {
	[P_ROOT] = "",
	[P_ECS] = "ecs",
	[P_AGENT] = "agent",
	[P_AGENT_ID] = "agent.id",
	[P_EVENT] = "event",
	[P_EV_KIND] = "event.kind",
	[P_EV_ACTION] = "event.action",
	[P_EV_DATASET] = "event.dataset",
	[P_EV_INGESTED] = "event.ingested",
	[P_FILE] = "file",
	[P_PROC] = "process",
	[P_PID] = "process.pid",
	[P_NAME] = "process.name",
	[P_EXE] = "process.executable",
	[P_ARGS] = "process.args",
	[P_ARGC] = "process.args_count",
	[P_CWD] = "process.working_directory",
	[P_START] = "process.start",
	[P_EID] = "process.entity_id",
	[P_INTER] = "process.interactive",
	[P_UID] = "process.user.id",
	[P_GID] = "process.group.id",
	[P_PARENT] = "process.parent",
	[P_PARENT_PID] = "process.parent.pid",
	[P_PARENT_EID] = "process.parent.entity_id",
	[P_PARENT_START] = "process.parent.start",
	[P_GL] = "process.group_leader",
	[P_GL_PID] = "process.group_leader.pid",
	[P_SL] = "process.session_leader",
	[P_SL_PID] = "process.session_leader.pid",
	[P_EL] = "process.entry_leader",
	[P_EL_PID] = "process.entry_leader.pid",
	[P_EL_EID] = "process.entry_leader.entity_id",
	[P_EL_START] = "process.entry_leader.start",
	[P_EL_META] = "process.entry_leader.entry_meta",
	[P_CTR] = "container",
	[P_CTR_ID] = "container.id",
	[P_ORCH] = "orchestrator",
	[P_HOST] = "host",
	[P_CD] = "cloud_defend",
	[P_CD_PENDING] = "cloud_defend.context_pending",
	[P_CLOUD] = "cloud",
	[P_USER] = "process.user",
	[P_USER_NAME] = "process.user.name",
	[P_GROUP] = "process.group",
	[P_GROUP_NAME] = "process.group.name",
};

/* ---- process table -------------------------------------------------------------- */

/* Raw JSON values of a process, in fragment order after pid. */
enum { R_NAME, R_EXE, R_ARGS, R_ARGC, R_START, R_INTER, R_UID, R_GID, R_CWD, R_N };
static const int raw_path[R_N] = { P_NAME,  P_EXE, P_ARGS, P_ARGC, P_START,
				   P_INTER, P_UID, P_GID,  P_CWD };

struct pent {
	struct hnode node; /* keyed by pid; least recently used first */
	uint32_t pid;
	uint64_t start_ns; /* since boot, from the entity id (0: unknown) */
	unsigned approx : 1; /* entity id made from /proc ticks */
	unsigned stub : 1; /* only what a reference told: not found */
	unsigned ended : 1;
	unsigned dirty : 1;
	unsigned ctr_looked : 1;
	char *eid;
	char *raw[R_N];
	char *frag;
	size_t fraglen;
	char ctr[CTR_ID_MAX + 1];
};

struct ptab {
	struct pent *e; /* max entries, allocated once; the first used are in h */
	struct htab h;
	uint32_t max, used;
};

static void ptab_init(struct ptab *t, size_t max)
{
	t->max = max;
	t->e = xcalloc(max, sizeof(*t->e));
	htab_init(&t->h, max);
	t->used = 0;
}

static void pent_clear(struct pent *p)
{
	free(p->eid);
	for (int i = 0; i < R_N; i++)
		free(p->raw[i]);
	free(p->frag);
}

static void ptab_free(struct ptab *t)
{
	for (uint32_t i = 0; i < t->used; i++)
		pent_clear(&t->e[i]);
	free(t->e);
	htab_free(&t->h);
}

/* The entry of PID, made the most recently used, or NULL. The hash of a
 * pid is a bijection: an entry of the same hash is PID's. */
static struct pent *ptab_get(struct ptab *t, uint32_t pid)
{
	struct hnode *n = htab_first(&t->h, htab_hash_u64(pid));

	if (!n)
		return NULL;
	htab_touch(&t->h, n);
	return htab_entry(n, struct pent, node);
}

/* An empty entry for PID (the old one of PID, or the least recently used
 * when the table is full, is dropped). */
static struct pent *ptab_put(struct ptab *t, uint32_t pid, uint64_t *evictions)
{
	struct pent *p = ptab_get(t, pid);
	struct hnode keep;

	if (p) {
		pent_clear(p);
		keep = p->node;
		memset(p, 0, sizeof(*p));
		p->node = keep;
	} else {
		if (t->used < t->max) {
			p = &t->e[t->used++];
		} else {
			p = htab_entry(htab_evict(&t->h), struct pent, node);
			pent_clear(p);
			(*evictions)++;
		}
		memset(p, 0, sizeof(*p));
		htab_add(&t->h, &p->node, htab_hash_u64(pid));
	}
	p->pid = pid;
	p->dirty = 1;
	return p;
}

/* ---- container cache --------------------------------------------------------------- */

struct cent {
	struct hnode node; /* keyed by id; least recently seen first */
	char id[CTR_ID_MAX + 1];
	struct container_info info;
	int full;
	int pod_tries; /* /proc/PID/cgroup reads for the pod UID */
	long user; /* its cgroup is in this user's systemd (rootless), or -1 */
	unsigned missing;
	uint64_t next_try, backoff, last_seen, first_seen, last_try;
	uint64_t gone_at; /* its first process ended (0: running) */
	uint64_t pods_gen; /* the kubelet snapshot the fragments were made with */
	char *ctr_frag, *orch_frag;
	size_t ctr_len, orch_len;
	/* its own /etc/passwd and /etc/group (NULL: not read, or not readable) */
	struct idnames *users, *groups;
	uint64_t names_next; /* when they may be read again */
	uint64_t names_tried; /* when no process of it could show its root */
	unsigned names_fails; /* how many times in a row */
};

/* A container's user and group names are read again, when an id is not
 * there (a user added at run time), at most this often. */
#define NAMES_RELOAD_NS (10 * 1000000000ull)

/* When neither the event's process nor its entry leader shows the
 * container's root (gone, or not switched to it yet), it is looked for
 * again after this long, or at the next exec (a process that has
 * switched) until NAMES_EXEC_TRIES have failed in a row. Two failing
 * stat()s at every event of a container whose processes are gone, as
 * when d4c-enrich catches up, cost it 60% of its throughput. */
#define NAMES_EXEC_TRIES 16
#define NAMES_RETRY_NS	 (100 * 1000000ull)

/* A container whose first process ended is gone; its last events may still
 * be on their way through the pipe: they are named for this long. */
#define GONE_LINGER_NS (10 * 1000000000ull)

struct enrich {
	struct enrich_config cfg;
	struct jscan_schema *schema;
	struct container_ctx *cctx;
	struct ptab pt;
	struct htab ct; /* the containers (struct cent), at most cfg.max_containers */
	struct kubelet_snapshot *pods;
	uint64_t pods_gen;
	char boot_id[64];
	char *agent_id;
	char *host_frag; /* ,"host":{...} */
	size_t host_len;
	char *agent_frag; /* "agent":{...} when the input has none */
	struct kube_cluster *kc; /* from the API server, or NULL */
	char *dmi_provider, *dmi_instance_id; /* from the node's DMI data */
	char *cloud_frag; /* "cloud":{...}, or NULL when nothing is known */
	uint64_t ns_per_tick;
	int64_t boot_to_real; /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
	struct enrich_stats st;
	struct jsonw w;
	struct buf scratch;
	struct jscan_span sp[P_N];
};

/* ---- small helpers ------------------------------------------------------------------- */

static char *path_in_root(const struct enrich *E, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *path_in_root(const struct enrich *E, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xasprintf("%s%s", E->cfg.root ? E->cfg.root : "", buf);
}

/* A JSON string of LEN bytes (escaped by jsonw), newly allocated. */
static char *json_string(struct enrich *E, const char *s, size_t len)
{
	char *r;

	jsonw_reset(&E->w);
	jsonw_strn(&E->w, s, len);
	jsonw_end_line(&E->w);
	r = xstrndup(jsonw_data(&E->w), jsonw_len(&E->w) - 1);
	jsonw_reset(&E->w);
	return r;
}

/* The jsonw buffer's only line, without its newline, newly allocated. */
static char *take_line(struct jsonw *w, size_t *len)
{
	char *r;

	if (jsonw_end_line(w)) {
		jsonw_reset(w);
		*len = 2;
		return xstrdup("{}");
	}
	*len = jsonw_len(w) - 1;
	r = xstrndup(jsonw_data(w), *len);
	jsonw_reset(w);
	return r;
}

static uint64_t parse_u64(const char *s, size_t n, int *ok)
{
	uint64_t v = 0;
	size_t i = 0;

	*ok = n > 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10) {
			*ok = 0;
			return 0;
		}
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The start (ns since boot) in an entity id "<boot>-<pid>-<start>". */
static uint64_t eid_start(const char *eid, size_t n)
{
	const char *d = memrchr(eid, '-', n);
	int ok;
	uint64_t v;

	if (!d)
		return 0;
	v = parse_u64(d + 1, eid + n - d - 1, &ok);
	return ok ? v : 0;
}

/* ---- host -------------------------------------------------------------------------------- */

static char *read_small(const struct enrich *E, const char *path)
{
	char *p = path_in_root(E, "%s", path), *buf = NULL;
	size_t n = 0;

	if (read_whole_file(p, 65536, &buf, &n))
		buf = NULL;
	free(p);
	if (buf)
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = 0;
	return buf;
}

/* VALUE of KEY=VALUE in os-release text (quotes removed), or NULL. */
static char *os_release(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, key, kl) && l[kl] == '=') {
			const char *v = l + kl + 1, *e = strchrnul(v, '\n');

			if (e > v && (*v == '"' || *v == '\'') && e[-1] == *v && e - v >= 2)
				return xstrndup(v + 1, e - v - 2);
			return xstrndup(v, e - v);
		}
	}
	return NULL;
}

static void put_opt(struct jsonw *w, const char *k, const char *v)
{
	if (v && *v)
		jsonw_kv_str(w, k, v);
}

/* host.ip and host.mac: the addresses of every interface but loopback. */
static void put_addresses(struct jsonw *w)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa))
		return;
	jsonw_key(w, "ip");
	jsonw_arr_begin(w);
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		char a[INET6_ADDRSTRLEN];

		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
				  sizeof(a));
		else if (i->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a,
				  sizeof(a));
		else
			continue;
		jsonw_str(w, a);
	}
	jsonw_arr_end(w);
	jsonw_key(w, "mac");
	jsonw_arr_begin(w);
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		struct sockaddr_ll *ll = (struct sockaddr_ll *)i->ifa_addr;
		char m[3 * 8];

		if (!ll || ll->sll_family != AF_PACKET || (i->ifa_flags & IFF_LOOPBACK) ||
		    ll->sll_halen != 6)
			continue;
		snprintf(m, sizeof(m), "%02X-%02X-%02X-%02X-%02X-%02X", ll->sll_addr[0],
			 ll->sll_addr[1], ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4],
			 ll->sll_addr[5]);
		jsonw_str(w, m);
	}
	jsonw_arr_end(w);
	freeifaddrs(ifa);
}

/* host.os, from the text of os-release OSR (NULL: not read) and the kernel RELEASE. */
static void put_os(struct jsonw *w, const char *osr, const char *release)
{
	jsonw_key(w, "os");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "type", "linux");
	if (osr) {
		char *name = os_release(osr, "NAME"), *id = os_release(osr, "ID"),
		     *like = os_release(osr, "ID_LIKE"), *ver = os_release(osr, "VERSION_ID"),
		     *full = os_release(osr, "PRETTY_NAME");

		put_opt(w, "name", name);
		put_opt(w, "family", like && *like ? strtok(like, " ") : id);
		put_opt(w, "platform", id);
		put_opt(w, "version", ver);
		put_opt(w, "full", full);
		free(name);
		free(id);
		free(like);
		free(ver);
		free(full);
	}
	jsonw_kv_str(w, "kernel", release);
	jsonw_obj_end(w);
}

static void host_compute(struct enrich *E)
{
	struct jsonw *w = &E->w;
	struct utsname u;
	char hn[256] = "", *mid, *bid, *osr, *p;
	const char *node = getenv("NODE_NAME");
	struct stat st;
	size_t len;

	free(E->host_frag);
	if (E->cfg.host_json) {
		E->host_frag = xasprintf("\"host\":%s", E->cfg.host_json);
		E->host_len = strlen(E->host_frag);
		return;
	}
	uname(&u);
	gethostname(hn, sizeof(hn) - 1);
	mid = read_small(E, "/etc/machine-id");
	bid = read_small(E, "/proc/sys/kernel/random/boot_id");
	osr = read_small(E, "/etc/os-release");
	if (!osr)
		osr = read_small(E, "/usr/lib/os-release");
	jsonw_reset(w);
	jsonw_obj_begin(w);
	put_opt(w, "name", node && *node ? node : hn);
	put_opt(w, "hostname", hn);
	put_opt(w, "id", mid);
	if (bid) {
		jsonw_key(w, "boot");
		jsonw_obj_begin(w);
		jsonw_kv_str(w, "id", bid);
		jsonw_obj_end(w);
	}
	put_opt(w, "architecture", u.machine);
	put_addresses(w);
	/* the host's pid namespace: init's, or ours when init's is not ours to see */
	p = path_in_root(E, "/proc/1/ns/pid");
	if (!stat(p, &st) || !stat("/proc/self/ns/pid", &st))
		jsonw_kv_u64(w, "pid_ns_ino", st.st_ino);
	free(p);
	put_os(w, osr, u.release);
	jsonw_obj_end(w);
	p = take_line(w, &len);
	E->host_frag = xasprintf("\"host\":%s", p);
	E->host_len = strlen(E->host_frag);
	free(p);
	if (!E->agent_id && mid)
		E->agent_id = xstrdup(mid);
	free(mid);
	free(bid);
	free(osr);
}

void enrich_refresh_host(struct enrich *E)
{
	if (!E->cfg.host_json)
		host_compute(E);
}

/*
 * The cloud a node runs in, from its DMI data (what cloud-init and the
 * Beats' add_cloud_metadata look at first): the vendor names the cloud; on
 * AWS Nitro the board's asset tag is the instance id.
 */
static void dmi_compute(struct enrich *E)
{
	char *vendor = read_small(E, "/sys/class/dmi/id/sys_vendor");
	char *product = read_small(E, "/sys/class/dmi/id/product_name");
	char *chassis = read_small(E, "/sys/class/dmi/id/chassis_asset_tag");
	char *board = read_small(E, "/sys/class/dmi/id/board_asset_tag");
	char *bios = read_small(E, "/sys/class/dmi/id/bios_version");
	const char *p = NULL;

	if ((vendor && !strcmp(vendor, "Amazon EC2")) || (bios && strstr(bios, "amazon")))
		p = "aws";
	else if ((vendor && !strcmp(vendor, "Google")) ||
		 (product && !strcmp(product, "Google Compute Engine")))
		p = "gcp";
	else if (chassis && !strcmp(chassis, "7783-7084-3265-9085-8269-3286-77"))
		p = "azure"; /* Azure's fixed chassis tag */
	else if (vendor && !strcmp(vendor, "Alibaba Cloud"))
		p = "alibaba";
	else if (vendor && !strcmp(vendor, "DigitalOcean"))
		p = "digitalocean";
	free(E->dmi_provider);
	free(E->dmi_instance_id);
	E->dmi_provider = p ? xstrdup(p) : NULL;
	E->dmi_instance_id =
		p && !strcmp(p, "aws") && board && !strncmp(board, "i-", 2) ? xstrdup(board) : NULL;
	free(vendor);
	free(product);
	free(chassis);
	free(board);
	free(bios);
}

/* (Re)makes the cloud fragment from the API server's and DMI's facts. */
static void cloud_build(struct enrich *E)
{
	const struct kube_cluster *k = E->kc;
	const char *provider = k && k->provider ? k->provider : E->dmi_provider;
	const char *instance_id = k && k->instance_id ? k->instance_id : E->dmi_instance_id;
	struct jsonw *w = &E->w;
	size_t len;
	char *p;

	free(E->cloud_frag);
	E->cloud_frag = NULL;
	if (!provider && !(k && (k->region || k->zone)))
		return;
	jsonw_reset(w);
	jsonw_obj_begin(w);
	put_opt(w, "provider", provider);
	if (k) {
		put_opt(w, "region", k->region);
		put_opt(w, "availability_zone", k->zone);
	}
	if (k && k->account_id) {
		jsonw_key(w, "account");
		jsonw_obj_begin(w);
		jsonw_kv_str(w, "id", k->account_id);
		jsonw_obj_end(w);
	}
	if (k && k->project_id) {
		jsonw_key(w, "project");
		jsonw_obj_begin(w);
		jsonw_kv_str(w, "id", k->project_id);
		jsonw_obj_end(w);
	}
	if (instance_id || (k && k->instance_name)) {
		jsonw_key(w, "instance");
		jsonw_obj_begin(w);
		put_opt(w, "id", instance_id);
		put_opt(w, "name", k ? k->instance_name : NULL);
		jsonw_obj_end(w);
	}
	if (k && k->machine_type) {
		jsonw_key(w, "machine");
		jsonw_obj_begin(w);
		jsonw_kv_str(w, "type", k->machine_type);
		jsonw_obj_end(w);
	}
	jsonw_obj_end(w);
	p = take_line(w, &len);
	E->cloud_frag = xasprintf("\"cloud\":%s", p);
	free(p);
}

/* ---- set-up -------------------------------------------------------------------------------- */

struct enrich *enrich_new(const struct enrich_config *cfg)
{
	struct enrich *E = xcalloc(1, sizeof(*E));
	long hz = sysconf(_SC_CLK_TCK);
	size_t len;

	E->cfg = *cfg;
	if (!E->cfg.root)
		E->cfg.root = "";
	if (!E->cfg.max_processes)
		E->cfg.max_processes = 65536;
	if (!E->cfg.max_containers)
		E->cfg.max_containers = 4096;
	if (!E->cfg.container_ttl)
		E->cfg.container_ttl = 300;
	E->schema = jscan_schema_new(paths, P_N, 0);
	if (!E->schema)
		die("internal error: bad scan schema");
	E->cctx = container_ctx_new(E->cfg.root);
	ptab_init(&E->pt, E->cfg.max_processes);
	htab_init(&E->ct, E->cfg.max_containers);
	jsonw_init(&E->w);
	E->ns_per_tick = 1000000000ull / (hz > 0 ? (uint64_t)hz : 100);
	E->boot_to_real = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME));
	if (cfg->boot_id) {
		snprintf(E->boot_id, sizeof(E->boot_id), "%s", cfg->boot_id);
	} else {
		char *b = read_small(E, "/proc/sys/kernel/random/boot_id");
		size_t j = 0;

		for (size_t i = 0; b && b[i] && j + 1 < sizeof(E->boot_id); i++)
			if (b[i] != '-')
				E->boot_id[j++] = b[i];
		E->boot_id[j] = 0;
		if (!j)
			snprintf(E->boot_id, sizeof(E->boot_id), "unknown");
		free(b);
	}
	if (cfg->agent_id)
		E->agent_id = xstrdup(cfg->agent_id);
	host_compute(E);
	dmi_compute(E);
	cloud_build(E);
	if (!E->agent_id)
		E->agent_id = xstrdup(E->boot_id);
	jsonw_obj_begin(&E->w);
	jsonw_kv_str(&E->w, "type", "d4c");
	jsonw_kv_str(&E->w, "version", PACKAGE_VERSION);
	jsonw_kv_str(&E->w, "id", E->agent_id);
	jsonw_obj_end(&E->w);
	{
		char *a = take_line(&E->w, &len);

		E->agent_frag = xasprintf("\"agent\":%s", a);
		free(a);
	}
	return E;
}

static void cent_free(struct cent *c)
{
	container_info_free(&c->info);
	free(c->ctr_frag);
	free(c->orch_frag);
	idnames_free(c->users);
	idnames_free(c->groups);
	free(c);
}

void enrich_free(struct enrich *E)
{
	struct htab_iter it;

	if (!E)
		return;
	for (struct hnode *n = htab_iter_first(&E->ct, &it); n; n = htab_iter_next(&it))
		cent_free(htab_entry(n, struct cent, node));
	htab_free(&E->ct);
	ptab_free(&E->pt);
	jscan_schema_free(E->schema);
	container_ctx_free(E->cctx);
	kubelet_snapshot_free(E->pods);
	jsonw_free(&E->w);
	buf_free(&E->scratch);
	free(E->agent_id);
	free(E->host_frag);
	free(E->agent_frag);
	free(E->cloud_frag);
	free(E->dmi_provider);
	free(E->dmi_instance_id);
	if (E->kc) {
		kube_cluster_free(E->kc);
		free(E->kc);
	}
	free(E);
}

void enrich_set_cluster(struct enrich *E, struct kube_cluster *kc)
{
	if (!kc)
		return;
	if (E->kc) {
		kube_cluster_free(E->kc);
		free(E->kc);
	}
	E->kc = kc;
	E->pods_gen++; /* the containers' fragments carry the cluster id */
	cloud_build(E);
}

void enrich_set_pods(struct enrich *E, struct kubelet_snapshot *s)
{
	if (!s)
		return;
	kubelet_snapshot_free(E->pods);
	E->pods = s;
	E->pods_gen++;
}

const struct enrich_stats *enrich_stats(struct enrich *E)
{
	E->st.processes = E->pt.used;
	E->st.containers = htab_count(&E->ct);
	return &E->st;
}

struct enrich_stats *enrich_stats_mut(struct enrich *E)
{
	return &E->st;
}

/* ---- processes from /proc ------------------------------------------------------------------ */

/*
 * P's name, start and whether it has a terminal (*TTY), from ROOT/proc/PID/stat.
 * WANT_NS nonzero: only when its start is that tick (+-1). Returns 0, or -1
 * when the process is not there.
 */
static int proc_read_stat(struct enrich *E, struct pent *p, uint64_t want_ns, int *tty)
{
	char *path, *buf = NULL, *s, *open;
	size_t n = 0;
	unsigned long long ticks = 0;
	int ppid = 0, pgrp = 0, sid = 0;
	int r;

	path = path_in_root(E, "/proc/%u/stat", p->pid);
	r = read_whole_file(path, 4096, &buf, &n);
	free(path);
	if (r)
		return -1;
	s = strrchr(buf, ')');
	if (!s || sscanf(s + 2,
			 "%*c %d %d %d %d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			 "%*d %*d %llu",
			 &ppid, &pgrp, &sid, tty, &ticks) != 5) {
		free(buf);
		return -1;
	}
	if (want_ns) {
		uint64_t wt = want_ns / E->ns_per_tick;

		if (wt + 1 < ticks || ticks + 1 < wt) {
			free(buf);
			return -1; /* another process has that pid now */
		}
	}
	open = strchr(buf, '(');
	if (open && open < s)
		p->raw[R_NAME] = json_string(E, open + 1, s - open - 1);
	free(buf);
	p->start_ns = ticks * E->ns_per_tick;
	return 0;
}

/* P's args and args_count, from ROOT/proc/PID/cmdline. */
static void proc_read_cmdline(struct enrich *E, struct pent *p)
{
	char *path = path_in_root(E, "/proc/%u/cmdline", p->pid), *buf = NULL;
	size_t n = 0;

	if (!read_whole_file(path, 65536, &buf, &n) && n) {
		const char *a = buf, *end = buf + n;
		unsigned cnt = 0;
		char c[16];

		jsonw_arr_begin(&E->w);
		while (a < end) {
			size_t l = strnlen(a, end - a);

			jsonw_strn(&E->w, a, l);
			cnt++;
			a += l + 1;
		}
		jsonw_arr_end(&E->w);
		p->raw[R_ARGS] = take_line(&E->w, &n);
		snprintf(c, sizeof(c), "%u", cnt);
		p->raw[R_ARGC] = xstrdup(c);
	}
	free(buf);
	free(path);
}

/* P's executable, name and working directory, from the links in ROOT/proc/PID. */
static void proc_read_links(struct enrich *E, struct pent *p)
{
	static const char *const links[] = { "exe", "cwd" };
	static const int slot[] = { R_EXE, R_CWD };
	char target[4096];

	for (int i = 0; i < 2; i++) {
		char *path = path_in_root(E, "/proc/%u/%s", p->pid, links[i]);
		ssize_t l = readlink(path, target, sizeof(target));
		const char *b;

		free(path);
		if (l <= 0 || (size_t)l >= sizeof(target))
			continue;
		p->raw[slot[i]] = json_string(E, target, l);
		if (i != 0)
			continue;
		/* the name is the executable's, in full: the comm in stat is
		 * cut at 15 bytes, and rules compare whole names */
		b = memrchr(target, '/', l);
		b = b ? b + 1 : target;
		if (b < target + l) {
			free(p->raw[R_NAME]);
			p->raw[R_NAME] = json_string(E, b, target + l - b);
		}
	}
}

/* P's effective user and group ids, from ROOT/proc/PID/status. */
static void proc_read_status(struct enrich *E, struct pent *p)
{
	char *path = path_in_root(E, "/proc/%u/status", p->pid), *buf = NULL;
	size_t n = 0;

	if (!read_whole_file(path, 65536, &buf, &n)) {
		unsigned ruid, euid, rgid, egid;
		char *u = strstr(buf, "\nUid:"), *g = strstr(buf, "\nGid:");
		char v[32];

		if (u && sscanf(u + 5, "%u %u", &ruid, &euid) == 2) {
			snprintf(v, sizeof(v), "\"%u\"", euid);
			p->raw[R_UID] = xstrdup(v);
		}
		if (g && sscanf(g + 5, "%u %u", &rgid, &egid) == 2) {
			snprintf(v, sizeof(v), "\"%u\"", egid);
			p->raw[R_GID] = xstrdup(v);
		}
	}
	free(buf);
	free(path);
}

/*
 * Fills P (pid set) from ROOT/proc/PID. WANT_TICKS nonzero: only when its
 * start is that tick (+-1). Returns 0, or -1 when the process is not there.
 */
static int proc_read(struct enrich *E, struct pent *p, uint64_t want_ns)
{
	char eid[128];
	size_t n;
	int tty = 0;

	E->st.proc_reads++;
	if (proc_read_stat(E, p, want_ns, &tty))
		return -1;
	p->approx = 1;
	snprintf(eid, sizeof(eid), "%s-%u-%" PRIu64, E->boot_id, p->pid, p->start_ns);
	p->eid = xstrdup(eid);
	jsonw_reset(&E->w);
	jsonw_time(&E->w, p->start_ns + E->boot_to_real);
	p->raw[R_START] = take_line(&E->w, &n);
	p->raw[R_INTER] = xstrdup(tty ? "true" : "false");
	proc_read_cmdline(E, p);
	proc_read_links(E, p);
	proc_read_status(E, p);
	p->dirty = 1;
	return 0;
}

/* The members of P's ancestry fragment (no braces), rebuilt when dirty. */
static const char *pent_frag(struct enrich *E, struct pent *p, size_t *len)
{
	static const char *const keys[R_N] = {
		",\"name\":",	      ",\"executable\":",    ",\"args\":",
		",\"args_count\":",   ",\"start\":",	     ",\"interactive\":",
		",\"user\":{\"id\":", ",\"group\":{\"id\":", ",\"working_directory\":",
	};
	struct buf *b = &E->scratch;
	char num[32];

	if (p->dirty || !p->frag) {
		size_t mark = b->len;

		snprintf(num, sizeof(num), "\"pid\":%u", p->pid);
		buf_adds(b, num);
		for (int i = 0; i < R_N; i++) {
			if (i == R_START && p->eid) {
				buf_adds(b, ",\"entity_id\":\"");
				buf_adds(b, p->eid); /* digits, hex, dashes: no escaping */
				buf_add(b, "\"", 1);
			}
			if (!p->raw[i])
				continue;
			buf_adds(b, keys[i]);
			buf_adds(b, p->raw[i]);
			if (i == R_UID || i == R_GID)
				buf_add(b, "}", 1);
		}
		free(p->frag);
		p->fraglen = b->len - mark;
		p->frag = xstrndup(b->p + mark, p->fraglen);
		b->len = mark;
		p->dirty = 0;
	}
	*len = p->fraglen;
	return p->frag;
}

/* ---- the line ----------------------------------------------------------------------------------
 */

struct edit {
	int32_t start, end; /* replaced range of the input */
	int32_t seq; /* order of creation: insertions at one place keep it */
	uint32_t off, len; /* replacement in E->scratch */
};

/* Edits of one line at most: a member is edited once, and there are fewer
 * than this many members edited (ancestry, process, user and group names,
 * container, orchestrator, base fields, top-level additions). */
#define MAX_EDITS 32

struct ctx {
	struct enrich *E;
	const char *line;
	struct jscan_span *sp;
	struct edit ed[MAX_EDITS];
	int ned;
	unsigned missing;
	int added; /* context that came from somewhere */
};

static inline int has(const struct ctx *c, int p)
{
	return c->sp[p].kstart >= 0;
}

static inline const char *vptr(const struct ctx *c, int p)
{
	return c->line + c->sp[p].vstart;
}

static inline size_t vlen(const struct ctx *c, int p)
{
	return c->sp[p].vend - c->sp[p].vstart;
}

/* The string value of P without its quotes (escapes left as they are). */
static int str_of(const struct ctx *c, int p, const char **s, size_t *n)
{
	if (!has(c, p) || c->sp[p].type != '"')
		return 0;
	*s = vptr(c, p) + 1;
	*n = vlen(c, p) - 2;
	return 1;
}

static int u32_of(const struct ctx *c, int p, uint32_t *v)
{
	int ok;
	uint64_t x;

	if (!has(c, p) || c->sp[p].type != '0')
		return 0;
	x = parse_u64(vptr(c, p), vlen(c, p), &ok);
	if (!ok || x > UINT32_MAX)
		return 0;
	*v = x;
	return 1;
}

/* A string value of digits (process.user.id is a keyword) as a number. */
static int id_of(const struct ctx *c, int p, uint32_t *v)
{
	const char *s;
	size_t n;
	int ok;
	uint64_t x;

	if (!str_of(c, p, &s, &n) || !n)
		return 0;
	x = parse_u64(s, n, &ok);
	if (!ok || x > UINT32_MAX)
		return 0;
	*v = x;
	return 1;
}

static int streq(const struct ctx *c, int p, const char *lit)
{
	const char *s;
	size_t n;

	return str_of(c, p, &s, &n) && n == strlen(lit) && !memcmp(s, lit, n);
}

/* Starts an edit of [START, END); its text is what is put in scratch until
 * the next edit_begin. */
static void edit_begin(struct ctx *c, int32_t start, int32_t end)
{
	struct edit *e;

	if (c->ned > 0) {
		struct edit *l = &c->ed[c->ned - 1];

		l->len = c->E->scratch.len - l->off;
	}
	e = &c->ed[c->ned++];
	e->start = start;
	e->end = end;
	e->seq = c->ned - 1;
	e->off = c->E->scratch.len;
	e->len = 0;
}

static void edit_done(struct ctx *c)
{
	if (c->ned > 0)
		c->ed[c->ned - 1].len = c->E->scratch.len - c->ed[c->ned - 1].off;
}

static void put(struct ctx *c, const char *s, size_t n)
{
	buf_add(&c->E->scratch, s, n);
}

static void puts_(struct ctx *c, const char *s)
{
	buf_add(&c->E->scratch, s, strlen(s));
}

/* Replaces the value of member P with what follows (edit_begin'd). */
static void replace_value(struct ctx *c, int p)
{
	edit_begin(c, c->sp[p].vstart, c->sp[p].vend);
}

/* Appends members to object P (it exists): text begins with "," when the
 * object has members. */
static void append_to(struct ctx *c, int p)
{
	int32_t close = c->sp[p].vend - 1;

	edit_begin(c, close, close);
	if (c->sp[p].nmembers)
		put(c, ",", 1);
}

/* ---- process ancestry ---------------------------------------------------------------------- */

static void learn_raw(struct ctx *c, struct pent *p)
{
	for (int i = 0; i < R_N; i++) {
		int path = raw_path[i];

		if (!has(c, path))
			continue;
		if (p->raw[i] && strlen(p->raw[i]) == vlen(c, path) &&
		    !memcmp(p->raw[i], vptr(c, path), vlen(c, path)))
			continue;
		free(p->raw[i]);
		p->raw[i] = xstrndup(vptr(c, path), vlen(c, path));
		p->dirty = 1;
	}
}

/* The process of the event itself: learned from the event. */
static struct pent *learn_self(struct ctx *c, uint32_t pid, int action_changes)
{
	struct enrich *E = c->E;
	const char *eid = NULL;
	size_t elen = 0;
	struct pent *p = ptab_get(&E->pt, pid);
	uint64_t start = 0;

	if (str_of(c, P_EID, &eid, &elen))
		start = eid_start(eid, elen);
	if (p && eid && p->eid && (strlen(p->eid) != elen || memcmp(p->eid, eid, elen))) {
		uint64_t a = p->start_ns / E->ns_per_tick, b = start / E->ns_per_tick;

		if (p->approx && a + 1 >= b && b + 1 >= a) {
			free(p->eid);
			p->eid = xstrndup(eid, elen); /* the id d4c-load gave wins */
			p->start_ns = start;
			p->approx = 0;
			p->dirty = 1;
			free(p->raw[R_START]);
			p->raw[R_START] = NULL;
		} else {
			p = NULL; /* pid reused */
		}
	}
	if (!p) {
		p = ptab_put(&E->pt, pid, &E->st.evictions);
		if (eid) {
			p->eid = xstrndup(eid, elen);
			p->start_ns = start;
		}
		learn_raw(c, p);
		return p;
	}
	if (p->stub || action_changes || !p->eid) {
		if (!p->eid && eid) {
			p->eid = xstrndup(eid, elen);
			p->start_ns = start;
		}
		p->stub = 0;
		learn_raw(c, p);
	}
	return p;
}

/* The start an event gave an ancestor (more precise than /proc's ticks). */
static void set_start(struct ctx *c, struct pent *p, int start_path)
{
	if (start_path < 0 || !has(c, start_path))
		return;
	free(p->raw[R_START]);
	p->raw[R_START] = xstrndup(vptr(c, start_path), vlen(c, start_path));
	p->dirty = 1;
}

/*
 * The table entry of an ancestor: PID from the event, EID (may be NULL)
 * the entity id the event gave it. Looks in the table, then /proc; when
 * neither knows it, a stub remembers that (no /proc read for it again).
 */
static struct pent *ancestor(struct ctx *c, uint32_t pid, const char *eid, size_t elen,
			     int start_path)
{
	struct enrich *E = c->E;
	struct pent *p = ptab_get(&E->pt, pid);
	uint64_t start = eid ? eid_start(eid, elen) : 0;

	if (p && eid && p->eid && (strlen(p->eid) != elen || memcmp(p->eid, eid, elen))) {
		uint64_t a = p->start_ns / E->ns_per_tick, b = start / E->ns_per_tick;

		if (p->approx && a + 1 >= b && b + 1 >= a) {
			free(p->eid);
			p->eid = xstrndup(eid, elen);
			p->start_ns = start;
			p->approx = 0;
			p->dirty = 1;
			set_start(c, p, start_path);
			return p;
		}
		if (start && p->start_ns > start)
			return NULL; /* the event names an older process than the table */
		p = NULL;
	}
	if (p)
		return p->stub ? NULL : p;
	p = ptab_put(&E->pt, pid, &E->st.evictions);
	if (proc_read(E, p, start)) {
		for (int i = 0; i < R_N; i++) {
			free(p->raw[i]);
			p->raw[i] = NULL;
		}
		free(p->eid);
		p->eid = eid ? xstrndup(eid, elen) : NULL;
		p->start_ns = start;
		p->approx = 0;
		p->stub = 1;
		set_start(c, p, start_path);
		return NULL;
	}
	if (eid) {
		free(p->eid);
		p->eid = xstrndup(eid, elen);
		p->start_ns = start;
		p->approx = 0;
		set_start(c, p, start_path);
	}
	return p;
}

/* Replaces the ancestor object P with the entry's full fragment. */
static void splice_ancestor(struct ctx *c, int p, struct pent *a, int same, int meta_path)
{
	size_t len;
	const char *f = pent_frag(c->E, a, &len);

	/* pent_frag used scratch below the edit: take the fragment first */
	replace_value(c, p);
	put(c, "{", 1);
	put(c, f, len);
	puts_(c, same ? ",\"same_as_process\":true" : ",\"same_as_process\":false");
	if (meta_path >= 0 && has(c, meta_path)) {
		puts_(c, ",\"entry_meta\":");
		put(c, vptr(c, meta_path), vlen(c, meta_path));
	}
	put(c, "}", 1);
	c->added = 1;
}

/* Where an event names one ancestor, and what is pending when it is not found. */
struct ancestry {
	int obj, pid, eid, start, meta; /* member paths; eid, start, meta -1 when not given */
	int may_be_self; /* the process itself when its pid is the event's */
	int miss; /* MISS_ */
};

static const struct ancestry ancestries[] = {
	/* a parent is never the process itself: it is looked up whatever its pid */
	{ P_PARENT, P_PARENT_PID, P_PARENT_EID, P_PARENT_START, -1, 0, MISS_PARENT },
	{ P_GL, P_GL_PID, -1, -1, -1, 1, MISS_GROUP_LEADER },
	{ P_SL, P_SL_PID, -1, -1, -1, 1, MISS_SESSION_LEADER },
	{ P_EL, P_EL_PID, P_EL_EID, P_EL_START, P_EL_META, 1, MISS_ENTRY_LEADER },
};

/* Replaces the ancestor object D names with what the table knows of it, or
 * marks it pending. Pid 0 names no process: left as it is. */
static void do_ancestor(struct ctx *c, const struct ancestry *d, uint32_t pid, struct pent *self)
{
	uint32_t ap;
	const char *eid = NULL;
	size_t elen = 0;
	struct pent *a;
	int same;

	if (!has(c, d->obj) || c->sp[d->obj].type != '{' || !u32_of(c, d->pid, &ap) || !ap)
		return;
	if (d->eid >= 0 && !str_of(c, d->eid, &eid, &elen))
		eid = NULL, elen = 0;
	same = d->may_be_self && ap == pid;
	a = same ? self : ancestor(c, ap, eid, elen, d->start);
	if (a)
		splice_ancestor(c, d->obj, a, same, d->meta);
	else
		c->missing |= 1u << d->miss;
}

static void do_ancestry(struct ctx *c, uint32_t pid, struct pent *self)
{
	for (size_t i = 0; i < sizeof(ancestries) / sizeof(ancestries[0]); i++)
		do_ancestor(c, &ancestries[i], pid, self);
}

/* ---- containers
 * ----------------------------------------------------------------------------------- */

/* A container id as events carry it: not NUL-terminated. */
struct ckey {
	const char *id;
	size_t n;
};

static bool cent_is(const struct hnode *h, const void *key)
{
	const struct ckey *k = key;
	const struct cent *c = htab_entry(h, struct cent, node);

	return !strncmp(c->id, k->id, k->n) && !c->id[k->n];
}

/* Peeks: the order of the table is the order of last_seen, which only
 * container_of() changes. */
static struct cent *cent_find(struct enrich *E, const char *id, size_t n)
{
	struct ckey k = { id, n };
	struct hnode *h = htab_peek(&E->ct, htab_hash_bytes(id, n), cent_is, &k);

	return h ? htab_entry(h, struct cent, node) : NULL;
}

static void cent_drop(struct enrich *E, struct cent *x)
{
	htab_del(&E->ct, &x->node);
	cent_free(x);
}

void enrich_expire(struct enrich *E, uint64_t now)
{
	uint64_t ttl = (uint64_t)E->cfg.container_ttl * 1000000000ull;

	/* all of them: gone_at is not in last_seen order */
	for (struct hnode *h = htab_oldest(&E->ct), *newer; h; h = newer) {
		struct cent *c = htab_entry(h, struct cent, node);

		newer = h->newer;
		if (now > c->last_seen + ttl || (c->gone_at && now > c->gone_at + GONE_LINGER_NS))
			cent_drop(E, c);
	}
}

static void put_kv_list(struct jsonw *w, const char *key, const struct ctr_kv *kv, size_t n)
{
	jsonw_key(w, key);
	jsonw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		char *s = xasprintf("%s:%s", kv[i].key, kv[i].value ? kv[i].value : "");

		jsonw_str(w, s);
		free(s);
	}
	jsonw_arr_end(w);
}

/* The container object of C, in c->ctr_frag. */
static void cent_ctr_frag(struct enrich *E, struct cent *c)
{
	const struct container_info *in = &c->info;
	struct jsonw *w = &E->w;

	jsonw_reset(w);
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "id", c->id);
	put_opt(w, "name", in->name);
	put_opt(w, "runtime", ctr_runtime_ecs(in->runtime));
	if (in->img.name || in->img.digest) {
		jsonw_key(w, "image");
		jsonw_obj_begin(w);
		put_opt(w, "name", in->img.name);
		put_opt(w, "tag", in->img.tag);
		if (in->img.digest) {
			jsonw_key(w, "hash");
			jsonw_obj_begin(w);
			jsonw_key(w, "all");
			jsonw_arr_begin(w);
			jsonw_str(w, in->img.digest);
			jsonw_arr_end(w);
			jsonw_obj_end(w);
		}
		jsonw_obj_end(w);
	}
	if (in->privileged >= 0) {
		jsonw_key(w, "security_context");
		jsonw_obj_begin(w);
		jsonw_kv_bool(w, "privileged", in->privileged);
		jsonw_obj_end(w);
	}
	jsonw_obj_end(w);
	free(c->ctr_frag);
	c->ctr_frag = take_line(w, &c->ctr_len);
}

/* orchestrator.resource of C's pod: from the runtime, else the kubelet's
 * pod KP (NULL: not known to it). */
static void put_pod(struct enrich *E, struct cent *c, const struct kubelet_pod *kp)
{
	const struct container_info *in = &c->info;
	struct jsonw *w = &E->w;
	int crio = in->runtime == CTR_RT_CRIO && (in->nlabels || in->nannotations);

	jsonw_key(w, "resource");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "type", "pod");
	if (in->pod_name)
		jsonw_kv_str(w, "name", in->pod_name);
	else if (kp && kp->name)
		jsonw_kv_str(w, "name", kp->name);
	else
		c->missing |= 1u << MISS_POD_NAME;
	put_opt(w, "id", in->pod_uid);
	if (kp && kp->ips) {
		jsonw_key(w, "ip");
		jsonw_raw(w, kp->ips, strlen(kp->ips));
	}
	if (crio) {
		put_kv_list(w, "label", in->labels, in->nlabels);
		put_kv_list(w, "annotation", in->annotations, in->nannotations);
	} else if (kp) {
		jsonw_key(w, "label");
		jsonw_raw(w, kp->labels, strlen(kp->labels));
		jsonw_key(w, "annotation");
		jsonw_raw(w, kp->annotations, strlen(kp->annotations));
		if (kp->parent_type) {
			jsonw_key(w, "parent");
			jsonw_obj_begin(w);
			jsonw_kv_str(w, "type", kp->parent_type);
			jsonw_obj_end(w);
		}
	} else if (E->cfg.kubelet) {
		c->missing |= 1u << MISS_LABELS;
	}
	jsonw_obj_end(w);
}

/* The orchestrator object of C, a pod's container, in c->orch_frag. */
static void cent_orch_frag(struct enrich *E, struct cent *c)
{
	const struct container_info *in = &c->info;
	struct jsonw *w = &E->w;
	const struct kubelet_pod *kp = E->cfg.kubelet ? kubelet_find(E->pods, in->pod_uid) : NULL;

	jsonw_obj_begin(w);
	jsonw_kv_str(w, "type", "kubernetes");
	if (E->cfg.cluster_id || E->cfg.cluster_name || (E->kc && E->kc->cluster_id)) {
		jsonw_key(w, "cluster");
		jsonw_obj_begin(w);
		/* configured, else the kube-system namespace's UID */
		put_opt(w, "id",
			E->cfg.cluster_id ? E->cfg.cluster_id :
			E->kc		  ? E->kc->cluster_id :
					    NULL);
		put_opt(w, "name", E->cfg.cluster_name);
		jsonw_obj_end(w);
	}
	if (in->pod_namespace)
		jsonw_kv_str(w, "namespace", in->pod_namespace);
	else if (kp && kp->namespace)
		jsonw_kv_str(w, "namespace", kp->namespace);
	else
		c->missing |= 1u << MISS_NAMESPACE;
	put_pod(E, c, kp);
	jsonw_obj_end(w);
	c->orch_frag = take_line(w, &c->orch_len);
}

/* (Re)makes the fragments of C from its info and the kubelet snapshot. */
static void cent_build(struct enrich *E, struct cent *c)
{
	const struct container_info *in = &c->info;

	c->missing = 0;
	cent_ctr_frag(E, c);
	if (!c->full)
		c->missing |= 1u << MISS_CTR_NAME | 1u << MISS_CTR_IMAGE;
	free(c->orch_frag);
	c->orch_frag = NULL;
	c->orch_len = 0;
	c->pods_gen = E->pods_gen;
	if (in->pod_uid || in->pod_name) {
		cent_orch_frag(E, c);
	} else if (!c->full &&
		   (in->runtime == CTR_RT_CONTAINERD_CRI || in->runtime == CTR_RT_CRIO)) {
		c->missing |= 1u << MISS_NAMESPACE | 1u << MISS_POD_NAME;
	}
}

struct find_cg {
	const char *id;
	char *buf;
	size_t len;
};

static int find_cg_step(uint64_t cgid, const char *path, void *arg)
{
	struct find_cg *f = arg;
	struct ctr_ident ident;

	(void)cgid;
	if (container_id_from_cgroup_path(path, &ident) || strcmp(ident.id, f->id))
		return 0;
	snprintf(f->buf, f->len, "%s", path);
	return 1;
}

/* The cgroup path of container ID into BUF: returns 0, or -1 when no
 * cgroup is that container's (a walk of the tree: for misses only). */
static int cgroup_of_id(struct enrich *E, const char *id, char *buf, size_t len)
{
	struct find_cg f = { .id = id, .buf = buf, .len = len };

	return container_cgroup_walk(E->cctx, find_cg_step, &f) == 1 ? 0 : -1;
}

/*
 * The pod UID from the cgroup path of PID, a process of C, when the
 * metadata did not say (containerd before 1.6.11, systemd slices): at
 * most a few tries per container (its processes may be gone). Returns 1
 * when C changed.
 */
static int cent_pod_from_proc(struct enrich *E, struct cent *c, uint32_t pid, uint32_t leader)
{
	struct ctr_ident ident;
	char cg[4096];

	if (c->info.pod_uid || !pid || c->pod_tries >= 8)
		return 0;
	c->pod_tries++;
	/* a short-lived process may be gone, and so may its entry leader
	 * when that is a process runc exec put in: then the container's
	 * cgroup is found by its id */
	if ((container_cgroup_of_pid(E->cctx, pid, cg, sizeof(cg)) &&
	     (!leader || container_cgroup_of_pid(E->cctx, leader, cg, sizeof(cg))) &&
	     cgroup_of_id(E, c->id, cg, sizeof(cg))) ||
	    container_ident(E->cctx, cg, &ident) || strcmp(ident.id, c->id))
		return 0;
	c->pod_tries = 8;
	/* rootless: only that user's storage may name it */
	c->user = ident.user;
	/* a runtime guessed from the path's depth would overrule the files */
	if (c->info.runtime == CTR_RT_UNKNOWN && !ident.guessed)
		c->info.runtime = ident.runtime;
	if (!ident.pod_uid[0])
		return 0;
	c->info.pod_uid = xstrdup(ident.pod_uid);
	return 1;
}

/* Reads the container's metadata again (not known yet). */
static void cent_resolve(struct enrich *E, struct cent *c, uint64_t now)
{
	struct container_info info;
	int r;

	r = container_resolve_user_id(E->cctx, c->id, c->info.runtime, c->user, &info);
	if (!info.pod_uid && c->info.pod_uid)
		info.pod_uid = xstrdup(c->info.pod_uid);
	if (r == 0 || !c->full) {
		container_info_free(&c->info);
		c->info = info;
		c->full = r == 0;
	} else {
		container_info_free(&info);
	}
	if (!c->full) {
		/* a container being made is written within milliseconds: look
		 * often at first; one that is gone is looked for once a second */
		uint64_t cap = now - c->first_seen < 10000000000ull ? 100000000ull : 1000000000ull;

		c->backoff = c->backoff ? c->backoff * 2 : 5000000ull;
		if (c->backoff > cap)
			c->backoff = cap;
		c->next_try = now + c->backoff;
	}
	c->last_try = now;
}

/*
 * The cache entry of container ID (made, and resolved, on first sight).
 * An entry not resolved yet is tried again at its next_try, or at once
 * (at most every millisecond) for an EXEC event: a process runs its
 * command in the container, so the runtime has written its state.
 */
static struct cent *container_of(struct enrich *E, const char *id, size_t n, uint32_t pid,
				 uint32_t leader, int exec, uint64_t now)
{
	struct cent *c = cent_find(E, id, n);

	if (!c) {
		struct hnode *old;

		if (n > CTR_ID_MAX)
			return NULL;
		c = xcalloc(1, sizeof(*c));
		memcpy(c->id, id, n);
		c->id[n] = 0;
		c->info.privileged = -1;
		c->user = -1;
		c->first_seen = now;
		/* a full table drops the least recently seen */
		old = htab_add(&E->ct, &c->node, htab_hash_bytes(id, n));
		if (old)
			cent_free(htab_entry(old, struct cent, node));
		cent_pod_from_proc(E, c, pid, leader);
		cent_resolve(E, c, now);
		cent_build(E, c);
	} else {
		int changed = cent_pod_from_proc(E, c, pid, leader);

		if (!c->full && (now >= c->next_try || (exec && now >= c->last_try + 1000000ull))) {
			cent_resolve(E, c, now);
			changed = 1;
		}
		if (changed || c->pods_gen != E->pods_gen)
			cent_build(E, c);
		htab_touch(&E->ct, &c->node);
	}
	c->last_seen = now;
	return c;
}

/* Appends "name":NAME to the object P. */
static void put_name(struct ctx *c, int p, const char *name)
{
	char *js = json_string(c->E, name, strlen(name));

	append_to(c, p);
	puts_(c, "\"name\":");
	puts_(c, js);
	free(js);
}

/*
 * process.user.name and process.group.name, as the container CE names the
 * event's ids in its own /etc/passwd and /etc/group, read through
 * /proc/PID/root (PID: the event's process, in the container).
 */
/*
 * Whether ROOT (a /proc/PID/root) is a root of its own, not the node's:
 * a container's first process is seen at its fork, before the runtime
 * has switched it to the container's root, and the node's /etc/passwd
 * must not name the container's users. False too when ROOT cannot be
 * looked at (the process is gone).
 */
static bool own_root(struct enrich *E, const char *root)
{
	/* the node's root: --root's directory, and its init's root when that
	 * can be looked at (not always: it may hold what d4c-enrich does not) */
	char *node, *init;
	struct stat a, b;
	bool own;

	if (stat(root, &a))
		return false;
	node = path_in_root(E, "/");
	init = path_in_root(E, "/proc/1/root");
	own = !stat(node, &b) && (a.st_dev != b.st_dev || a.st_ino != b.st_ino);
	if (own && !stat(init, &b))
		own = a.st_dev != b.st_dev || a.st_ino != b.st_ino;
	free(node);
	free(init);
	return own;
}

static void do_names(struct ctx *c, struct cent *ce, uint32_t pid, uint32_t leader, int exec,
		     uint64_t now)
{
	struct enrich *E = c->E;
	uint32_t uid = 0, gid = 0;
	int want_u = has(c, P_USER) && c->sp[P_USER].type == '{' && !has(c, P_USER_NAME) &&
		     id_of(c, P_UID, &uid);
	int want_g = has(c, P_GROUP) && c->sp[P_GROUP].type == '{' && !has(c, P_GROUP_NAME) &&
		     id_of(c, P_GID, &gid);
	const char *un = want_u ? idnames_find(ce->users, uid) : NULL;
	const char *gn = want_g ? idnames_find(ce->groups, gid) : NULL;

	int due = now >= ce->names_next && ((exec && ce->names_fails < NAMES_EXEC_TRIES) ||
					    now >= ce->names_tried + NAMES_RETRY_NS);
	int tried = 0, loaded = 0;

	/* the event's process may be gone already: then its entry leader's
	 * root, the same container's */
	for (int i = 0; i < 2 && due && !loaded && ((want_u && !un) || (want_g && !gn)); i++) {
		char *root = path_in_root(E, "/proc/%u/root", i ? leader : pid);
		struct idnames *t;
		int r = (i && (!leader || leader == pid)) || !own_root(E, root) ?
				-ESRCH :
				idnames_load(root, "etc/passwd", &t);

		tried = 1;
		if (r != -ESRCH) {
			loaded = 1;
			ce->names_fails = 0;
			ce->names_next = now + NAMES_RELOAD_NS;
			if (!r) {
				idnames_free(ce->users);
				ce->users = t;
			}
			if (!idnames_load(root, "etc/group", &t)) {
				idnames_free(ce->groups);
				ce->groups = t;
			}
			un = want_u ? idnames_find(ce->users, uid) : NULL;
			gn = want_g ? idnames_find(ce->groups, gid) : NULL;
		}
		free(root);
	}
	if (tried && !loaded) {
		ce->names_tried = now;
		ce->names_fails += ce->names_fails < NAMES_EXEC_TRIES;
	}
	if (un)
		put_name(c, P_USER, un);
	if (gn)
		put_name(c, P_GROUP, gn);
}

static void do_container(struct ctx *c, uint32_t pid, struct pent *self, int exec, uint64_t now)
{
	struct enrich *E = c->E;
	const char *id = NULL;
	uint32_t leader;
	size_t n = 0;
	struct cent *ce;

	if (!has(c, P_CTR) || c->sp[P_CTR].type != '{')
		return;
	if (!str_of(c, P_CTR_ID, &id, &n) || !n) {
		/* in a container d4c-load could not name yet: ask /proc */
		id = NULL;
		if (self && self->ctr[0]) {
			id = self->ctr;
			n = strlen(id);
		} else if (self && !self->ctr_looked && pid) {
			char cg[4096];
			struct ctr_ident ident;

			self->ctr_looked = 1;
			if (!container_cgroup_of_pid(E->cctx, pid, cg, sizeof(cg)) &&
			    !container_id_from_cgroup_path(cg, &ident)) {
				memcpy(self->ctr, ident.id, sizeof(self->ctr));
				id = self->ctr;
				n = strlen(id);
			}
		}
		if (!id) {
			c->missing |= 1u << MISS_CTR_ID | 1u << MISS_CTR_NAME |
				      1u << MISS_CTR_IMAGE;
			return;
		}
	}
	if (!has(c, P_EL) || c->sp[P_EL].type != '{' || !u32_of(c, P_EL_PID, &leader))
		leader = 0;
	ce = container_of(E, id, n, pid, leader, exec, now);
	if (!ce) {
		c->missing |= 1u << MISS_CTR_NAME | 1u << MISS_CTR_IMAGE;
		return;
	}
	c->missing |= ce->missing;
	if (pid)
		do_names(c, ce, pid, leader, exec, now);
	replace_value(c, P_CTR);
	put(c, ce->ctr_frag, ce->ctr_len);
	if (ce->full)
		c->added = 1;
	if (ce->orch_frag) {
		if (has(c, P_ORCH)) {
			replace_value(c, P_ORCH);
			put(c, ce->orch_frag, ce->orch_len);
		} else {
			/* appended after the container object */
			edit_begin(c, c->sp[P_CTR].vend, c->sp[P_CTR].vend);
			puts_(c, ",\"orchestrator\":");
			put(c, ce->orch_frag, ce->orch_len);
		}
	}
}

/* ---- putting it together ------------------------------------------------------------------- */

/*
 * What the event's own process lacks and the table knows, added to its
 * process object: d4c-load's file and end records carry no executable,
 * arguments or working directory, the process's exec event did.
 */
static void complete_self(struct ctx *c, struct pent *self)
{
	static const int fill[] = { R_EXE, R_ARGS, R_ARGC, R_CWD };
	static const char *const keys[] = { "\"executable\":", "\"args\":", "\"args_count\":",
					    "\"working_directory\":" };
	int opened = 0;

	for (size_t i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
		int r = fill[i];

		if (has(c, raw_path[r]) || !self->raw[r])
			continue;
		if (!opened) {
			append_to(c, P_PROC);
			opened = 1;
		} else {
			put(c, ",", 1);
		}
		puts_(c, keys[i]);
		puts_(c, self->raw[r]);
	}
}

/* The end of a container's first process: the container is gone. */
static void container_ended(struct ctx *c, uint32_t pid, uint64_t now)
{
	uint32_t el = 0;
	const char *id;
	size_t n;
	struct cent *ce;

	if (!u32_of(c, P_EL_PID, &el) || el != pid || !str_of(c, P_CTR_ID, &id, &n))
		return;
	ce = cent_find(c->E, id, n);
	if (ce && !ce->gone_at)
		ce->gone_at = now;
}

/* The context_pending array. */
static void put_missing(struct ctx *c)
{
	put(c, "[", 1);
	for (int i = 0, n = 0; i < MISS_N; i++)
		if (c->missing & (1u << i)) {
			puts_(c, n++ ? ",\"" : "\"");
			puts_(c, enrich_miss_names[i]);
			puts_(c, "\"");
		}
	put(c, "]", 1);
}

static int edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : 1;
}

static void put_time(struct enrich *E, struct ctx *c, uint64_t ns)
{
	jsonw_reset(&E->w);
	jsonw_time(&E->w, ns);
	jsonw_end_line(&E->w);
	put(c, jsonw_data(&E->w), jsonw_len(&E->w) - 1);
	jsonw_reset(&E->w);
}

enum enrich_result enrich_classify(struct enrich *E, const char *line, size_t len, const char **why,
				   size_t *at)
{
	struct ctx c = { .E = E, .line = line, .sp = E->sp };

	if (jscan_line(E->schema, line, len, E->sp, why, at))
		return ENRICH_INVALID;
	return streq(&c, P_EV_KIND, "metric") ? ENRICH_PASSED : ENRICH_WRITTEN;
}

/* The process's own fields, its ancestors and its container. Returns the
 * process's table entry (NULL when the event names none), *PID its pid or 0. */
static struct pent *do_process(struct ctx *c, uint32_t *pid, uint64_t now)
{
	struct pent *self = NULL;

	if (u32_of(c, P_PID, pid) && *pid) {
		int changes = streq(c, P_EV_ACTION, "exec") || streq(c, P_EV_ACTION, "fork");

		self = learn_self(c, *pid, changes);
	}
	/* edits in document order does not matter: they are sorted before they are applied */
	if (self) {
		do_ancestry(c, *pid, self);
		if (has(c, P_PROC) && c->sp[P_PROC].type == '{')
			complete_self(c, self);
	}
	do_container(c, *pid, self, streq(c, P_EV_ACTION, "exec"), now);
	return self;
}

/* The base fields every event gets where it has their object: agent.id,
 * event.ingested and event.dataset, host. */
static void put_base(struct ctx *c, uint64_t ingested)
{
	struct enrich *E = c->E;

	if (has(c, P_AGENT) && !has(c, P_AGENT_ID) && c->sp[P_AGENT].type == '{') {
		append_to(c, P_AGENT);
		puts_(c, "\"id\":");
		jsonw_reset(&E->w);
		jsonw_str(&E->w, E->agent_id);
		jsonw_end_line(&E->w);
		put(c, jsonw_data(&E->w), jsonw_len(&E->w) - 1);
		jsonw_reset(&E->w);
	}
	if (has(c, P_EVENT) && c->sp[P_EVENT].type == '{') {
		if (has(c, P_EV_INGESTED)) {
			replace_value(c, P_EV_INGESTED);
			put_time(E, c, ingested);
		} else {
			append_to(c, P_EVENT);
			puts_(c, "\"ingested\":");
			put_time(E, c, ingested);
		}
		if (!has(c, P_EV_DATASET)) {
			puts_(c, ",\"dataset\":");
			puts_(c, streq(c, P_EV_KIND, "alert") ? "\"" D4C_DATASET_ALERTS "\"" :
				 has(c, P_FILE)		      ? "\"" D4C_DATASET_FILE "\"" :
								"\"" D4C_DATASET_PROCESS "\"");
		}
	}
	if (has(c, P_HOST)) {
		replace_value(c, P_HOST);
		put(c, E->host_frag + 7, E->host_len - 7);
	}
}

/* Puts a top-level member's separator: N counts the members so far. */
static void put_sep(struct ctx *c, uint32_t *n)
{
	puts_(c, (*n)++ ? "," : "");
}

/* The top-level objects the event lacks, and cloud_defend.context_pending. */
static void put_additions(struct ctx *c)
{
	struct enrich *E = c->E;
	int32_t pos = c->sp[P_ROOT].vend - 1;
	uint32_t n = c->sp[P_ROOT].nmembers;

	edit_begin(c, pos, pos);
	if (!has(c, P_AGENT)) {
		put_sep(c, &n);
		puts_(c, E->agent_frag);
	}
	if (!has(c, P_ECS)) {
		put_sep(c, &n);
		puts_(c, "\"ecs\":{\"version\":\"" D4C_ECS_VERSION "\"}");
	}
	if (!has(c, P_HOST)) {
		put_sep(c, &n);
		put(c, E->host_frag, E->host_len);
	}
	if (E->cloud_frag && !has(c, P_CLOUD)) {
		put_sep(c, &n);
		puts_(c, E->cloud_frag);
	}
	if (c->missing && !has(c, P_CD)) {
		put_sep(c, &n);
		puts_(c, "\"cloud_defend\":{\"context_pending\":");
		put_missing(c);
		puts_(c, "}");
	}
	if (has(c, P_CD) && c->sp[P_CD].type == '{' && (c->missing || has(c, P_CD_PENDING))) {
		if (has(c, P_CD_PENDING)) {
			replace_value(c, P_CD_PENDING);
		} else {
			append_to(c, P_CD);
			puts_(c, "\"context_pending\":");
		}
		put_missing(c);
	}
	edit_done(c);
}

/* Writes the LEN bytes of the line with the edits applied, in document order. */
static void write_edited(struct ctx *c, size_t len, struct buf *out)
{
	int32_t at = 0;

	for (int i = 1; i < c->ned; i++) /* few, nearly sorted */
		for (int k = i; k > 0 && edit_cmp(&c->ed[k - 1], &c->ed[k]) > 0; k--) {
			struct edit t = c->ed[k];

			c->ed[k] = c->ed[k - 1];
			c->ed[k - 1] = t;
		}
	for (int i = 0; i < c->ned; i++) {
		const struct edit *e = &c->ed[i];

		if (e->start < at)
			continue; /* overlapping: cannot happen with distinct members */
		buf_add(out, c->line + at, e->start - at);
		buf_add(out, c->E->scratch.p + e->off, e->len);
		at = e->end;
	}
	buf_add(out, c->line + at, len - at);
	buf_add(out, "\n", 1);
}

static void count_written(struct enrich *E, const struct ctx *c)
{
	E->st.written++;
	for (int i = 0; i < MISS_N; i++)
		if (c->missing & (1u << i))
			E->st.missing[i]++;
	if (!c->missing)
		E->st.full++;
	else if (c->added)
		E->st.partial++;
	else
		E->st.none++;
}

/* The process SELF (PID) has ended: its container may have too. It is kept
 * (children's events may come later) but is the first to be evicted. */
static void process_ended(struct ctx *c, uint32_t pid, struct pent *self, uint64_t now)
{
	container_ended(c, pid, now);
	self->ended = 1;
	htab_demote(&c->E->pt.h, &self->node);
}

enum enrich_result enrich_line(struct enrich *E, const char *line, size_t len, int may_hold,
			       uint64_t now, uint64_t ingested, struct buf *out, unsigned *missing,
			       const char **why, size_t *at)
{
	struct ctx c = { .E = E, .line = line, .sp = E->sp };
	struct pent *self = NULL;
	uint32_t pid = 0;
	bool beat;

	*missing = 0;
	if (jscan_line(E->schema, line, len, E->sp, why, at))
		return ENRICH_INVALID;
	/* a heartbeat is counted by node: it gets agent.id and host, no more */
	beat = streq(&c, P_EV_DATASET, D4C_DATASET_HEARTBEAT);
	if (streq(&c, P_EV_KIND, "metric") && !beat) {
		buf_add(out, line, len);
		buf_add(out, "\n", 1);
		return ENRICH_PASSED;
	}
	E->scratch.len = 0;
	if (!beat) {
		self = do_process(&c, &pid, now);
		if (may_hold && (c.missing & MISS_WAITABLE)) {
			*missing = c.missing;
			return ENRICH_HOLD;
		}
	}
	put_base(&c, ingested);
	put_additions(&c);
	write_edited(&c, len, out);
	if (beat)
		return ENRICH_PASSED;

	*missing = c.missing;
	count_written(E, &c);
	if (self && streq(&c, P_EV_ACTION, "end"))
		process_ended(&c, pid, self, now);
	return ENRICH_WRITTEN;
}
