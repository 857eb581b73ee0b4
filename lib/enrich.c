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
#include "jscan.h"
#include "jsonw.h"
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

void obuf_put(struct obuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->buf = xrealloc(b->buf, cap);
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static inline void obuf_str(struct obuf *b, const char *s)
{
	obuf_put(b, s, strlen(s));
}

void obuf_free(struct obuf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

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
};

/* ---- process table -------------------------------------------------------------- */

/* Raw JSON values of a process, in fragment order after pid. */
enum { R_NAME, R_EXE, R_ARGS, R_ARGC, R_START, R_INTER, R_UID, R_GID, R_CWD, R_N };
static const int raw_path[R_N] = {P_NAME,  P_EXE, P_ARGS, P_ARGC, P_START,
				  P_INTER, P_UID, P_GID,  P_CWD};

struct pent {
	uint32_t pid;
	int32_t hnext, prev, next; /* hash chain; LRU list (most recent first) */
	uint64_t start_ns;	   /* since boot, from the entity id (0: unknown) */
	unsigned approx : 1;	   /* entity id made from /proc ticks */
	unsigned stub : 1;	   /* only what a reference told: not found */
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
	struct pent *e;
	int32_t *buckets;
	uint32_t nbuckets, max, used;
	int32_t head, tail, freelist;
};

static void ptab_init(struct ptab *t, size_t max)
{
	t->max = max;
	t->e = xcalloc(max, sizeof(*t->e));
	for (t->nbuckets = 64; t->nbuckets < 2 * max; t->nbuckets *= 2)
		;
	t->buckets = xmalloc(t->nbuckets * sizeof(*t->buckets));
	for (uint32_t i = 0; i < t->nbuckets; i++)
		t->buckets[i] = -1;
	t->head = t->tail = -1;
	t->freelist = -1;
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
	free(t->buckets);
}

static inline uint32_t phash(const struct ptab *t, uint32_t pid)
{
	return (pid * 2654435761u) & (t->nbuckets - 1);
}

static void lru_unlink(struct ptab *t, int32_t i)
{
	struct pent *p = &t->e[i];

	if (p->prev >= 0)
		t->e[p->prev].next = p->next;
	else
		t->head = p->next;
	if (p->next >= 0)
		t->e[p->next].prev = p->prev;
	else
		t->tail = p->prev;
}

static void lru_front(struct ptab *t, int32_t i)
{
	struct pent *p = &t->e[i];

	p->prev = -1;
	p->next = t->head;
	if (t->head >= 0)
		t->e[t->head].prev = i;
	t->head = i;
	if (t->tail < 0)
		t->tail = i;
}

static void lru_back(struct ptab *t, int32_t i)
{
	struct pent *p = &t->e[i];

	p->next = -1;
	p->prev = t->tail;
	if (t->tail >= 0)
		t->e[t->tail].next = i;
	t->tail = i;
	if (t->head < 0)
		t->head = i;
}

static struct pent *ptab_get(struct ptab *t, uint32_t pid)
{
	for (int32_t i = t->buckets[phash(t, pid)]; i >= 0; i = t->e[i].hnext)
		if (t->e[i].pid == pid) {
			if (t->head != i) {
				lru_unlink(t, i);
				lru_front(t, i);
			}
			return &t->e[i];
		}
	return NULL;
}

static void ptab_unhash(struct ptab *t, int32_t i)
{
	int32_t *pp = &t->buckets[phash(t, t->e[i].pid)];

	while (*pp != i)
		pp = &t->e[*pp].hnext;
	*pp = t->e[i].hnext;
}

/* An empty entry for PID (the old one of PID, or the least recently used
 * when the table is full, is dropped). */
static struct pent *ptab_put(struct ptab *t, uint32_t pid, uint64_t *evictions)
{
	struct pent *p = ptab_get(t, pid);
	int32_t i;

	if (p) {
		pent_clear(p);
		i = p - t->e;
	} else {
		if (t->used < t->max) {
			i = t->used++;
		} else {
			i = t->tail;
			ptab_unhash(t, i);
			lru_unlink(t, i);
			pent_clear(&t->e[i]);
			(*evictions)++;
		}
		t->e[i].hnext = t->buckets[phash(t, pid)];
		t->buckets[phash(t, pid)] = i;
		lru_front(t, i);
	}
	p = &t->e[i];
	{
		int32_t hn = p->hnext, pr = p->prev, nx = p->next;

		memset(p, 0, sizeof(*p));
		p->hnext = hn;
		p->prev = pr;
		p->next = nx;
	}
	p->pid = pid;
	p->dirty = 1;
	return p;
}

/* ---- container cache --------------------------------------------------------------- */

struct cent {
	struct cent *hnext;
	char id[CTR_ID_MAX + 1];
	struct container_info info;
	int full;
	int pod_tries; /* /proc/PID/cgroup reads for the pod UID */
	long user;     /* its cgroup is in this user's systemd (rootless), or -1 */
	unsigned missing;
	uint64_t next_try, backoff, last_seen, first_seen, last_try;
	uint64_t gone_at;  /* its first process ended (0: running) */
	uint64_t pods_gen; /* the kubelet snapshot the fragments were made with */
	char *ctr_frag, *orch_frag;
	size_t ctr_len, orch_len;
};

#define CBUCKETS 4096
/* A container whose first process ended is gone; its last events may still
 * be on their way through the pipe: they are named for this long. */
#define GONE_LINGER_NS (10 * 1000000000ull)

struct enrich {
	struct enrich_config cfg;
	struct jscan_schema *schema;
	struct container_ctx *cctx;
	struct ptab pt;
	struct cent *cb[CBUCKETS];
	size_t ncent;
	struct kubelet_snapshot *pods;
	uint64_t pods_gen;
	char boot_id[64];
	char *agent_id;
	char *host_frag; /* ,"host":{...} */
	size_t host_len;
	char *agent_frag; /* "agent":{...} when the input has none */
	uint64_t ns_per_tick;
	int64_t boot_to_real; /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
	struct enrich_stats st;
	struct jsonw w;
	struct obuf scratch;
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

static void host_compute(struct enrich *E)
{
	struct jsonw *w = &E->w;
	struct utsname u;
	char hn[256] = "", *mid, *bid, *osr, *p;
	const char *node = getenv("NODE_NAME");
	struct ifaddrs *ifa = NULL;
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
	if (!getifaddrs(&ifa)) {
		jsonw_key(w, "ip");
		jsonw_arr_begin(w);
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			char a[INET6_ADDRSTRLEN];

			if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
				continue;
			if (i->ifa_addr->sa_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
					  a, sizeof(a));
			else if (i->ifa_addr->sa_family == AF_INET6)
				inet_ntop(AF_INET6,
					  &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a,
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
	/* the host's pid namespace: init's, or ours when init's is not ours to see */
	p = path_in_root(E, "/proc/1/ns/pid");
	if (!stat(p, &st) || !stat("/proc/self/ns/pid", &st))
		jsonw_kv_u64(w, "pid_ns_ino", st.st_ino);
	free(p);
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
	jsonw_kv_str(w, "kernel", u.release);
	jsonw_obj_end(w);
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
	E->schema = jscan_schema_new(paths, P_N);
	if (!E->schema)
		die("internal error: bad scan schema");
	E->cctx = container_ctx_new(E->cfg.root);
	ptab_init(&E->pt, E->cfg.max_processes);
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
	free(c);
}

void enrich_free(struct enrich *E)
{
	if (!E)
		return;
	for (size_t i = 0; i < CBUCKETS; i++)
		while (E->cb[i]) {
			struct cent *c = E->cb[i];

			E->cb[i] = c->hnext;
			cent_free(c);
		}
	ptab_free(&E->pt);
	jscan_schema_free(E->schema);
	container_ctx_free(E->cctx);
	kubelet_snapshot_free(E->pods);
	jsonw_free(&E->w);
	obuf_free(&E->scratch);
	free(E->agent_id);
	free(E->host_frag);
	free(E->agent_frag);
	free(E);
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
	E->st.containers = E->ncent;
	return &E->st;
}

struct enrich_stats *enrich_stats_mut(struct enrich *E)
{
	return &E->st;
}

/* ---- processes from /proc ------------------------------------------------------------------ */

/*
 * Fills P (pid set) from ROOT/proc/PID. WANT_TICKS nonzero: only when its
 * start is that tick (+-1). Returns 0, or -1 when the process is not there.
 */
static int proc_read(struct enrich *E, struct pent *p, uint64_t want_ns)
{
	char *path, *buf = NULL, *s;
	size_t n = 0;
	unsigned long long ticks = 0;
	int ppid = 0, pgrp = 0, sid = 0, tty = 0;
	char eid[128];
	int r;

	E->st.proc_reads++;
	path = path_in_root(E, "/proc/%u/stat", p->pid);
	r = read_whole_file(path, 4096, &buf, &n);
	free(path);
	if (r)
		return -1;
	s = strrchr(buf, ')');
	if (!s || sscanf(s + 2,
			 "%*c %d %d %d %d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			 "%*d %*d %llu",
			 &ppid, &pgrp, &sid, &tty, &ticks) != 5) {
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
	{
		char *open = strchr(buf, '(');

		if (open && open < s)
			p->raw[R_NAME] = json_string(E, open + 1, s - open - 1);
	}
	free(buf);
	p->start_ns = ticks * E->ns_per_tick;
	p->approx = 1;
	snprintf(eid, sizeof(eid), "%s-%u-%" PRIu64, E->boot_id, p->pid, p->start_ns);
	p->eid = xstrdup(eid);
	jsonw_reset(&E->w);
	jsonw_time(&E->w, p->start_ns + E->boot_to_real);
	p->raw[R_START] = take_line(&E->w, &n);
	p->raw[R_INTER] = xstrdup(tty ? "true" : "false");

	path = path_in_root(E, "/proc/%u/cmdline", p->pid);
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
	buf = NULL;
	free(path);
	{
		static const char *const links[] = {"exe", "cwd"};
		static const int slot[] = {R_EXE, R_CWD};
		char target[4096];

		for (int i = 0; i < 2; i++) {
			ssize_t l;

			path = path_in_root(E, "/proc/%u/%s", p->pid, links[i]);
			l = readlink(path, target, sizeof(target));
			free(path);
			if (l > 0 && (size_t)l < sizeof(target))
				p->raw[slot[i]] = json_string(E, target, l);
		}
	}
	path = path_in_root(E, "/proc/%u/status", p->pid);
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
	p->dirty = 1;
	return 0;
}

/* The members of P's ancestry fragment (no braces), rebuilt when dirty. */
static const char *pent_frag(struct enrich *E, struct pent *p, size_t *len)
{
	static const char *const keys[R_N] = {
	    ",\"name\":",	  ",\"executable\":",	 ",\"args\":",
	    ",\"args_count\":",	  ",\"start\":",	 ",\"interactive\":",
	    ",\"user\":{\"id\":", ",\"group\":{\"id\":", ",\"working_directory\":",
	};
	struct obuf *b = &E->scratch;
	char num[32];

	if (p->dirty || !p->frag) {
		size_t mark = b->len;

		snprintf(num, sizeof(num), "\"pid\":%u", p->pid);
		obuf_str(b, num);
		for (int i = 0; i < R_N; i++) {
			if (i == R_START && p->eid) {
				obuf_str(b, ",\"entity_id\":\"");
				obuf_str(b, p->eid); /* digits, hex, dashes: no escaping */
				obuf_put(b, "\"", 1);
			}
			if (!p->raw[i])
				continue;
			obuf_str(b, keys[i]);
			obuf_str(b, p->raw[i]);
			if (i == R_UID || i == R_GID)
				obuf_put(b, "}", 1);
		}
		free(p->frag);
		p->fraglen = b->len - mark;
		p->frag = xstrndup(b->buf + mark, p->fraglen);
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
	int32_t seq;	    /* order of creation: insertions at one place keep it */
	uint32_t off, len;  /* replacement in E->scratch */
};

#define MAX_EDITS 16

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
	obuf_put(&c->E->scratch, s, n);
}

static void puts_(struct ctx *c, const char *s)
{
	obuf_put(&c->E->scratch, s, strlen(s));
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

static void do_ancestry(struct ctx *c, uint32_t pid, struct pent *self)
{
	uint32_t ap;
	const char *eid;
	size_t elen;
	struct pent *a;

	if (has(c, P_PARENT) && c->sp[P_PARENT].type == '{' && u32_of(c, P_PARENT_PID, &ap)) {
		if (!str_of(c, P_PARENT_EID, &eid, &elen))
			eid = NULL, elen = 0;
		a = ap ? ancestor(c, ap, eid, elen, P_PARENT_START) : NULL;
		if (a)
			splice_ancestor(c, P_PARENT, a, 0, -1);
		else if (ap)
			c->missing |= 1u << MISS_PARENT;
	}
	if (has(c, P_GL) && c->sp[P_GL].type == '{' && u32_of(c, P_GL_PID, &ap) && ap) {
		a = ap == pid ? self : ancestor(c, ap, NULL, 0, -1);
		if (a)
			splice_ancestor(c, P_GL, a, ap == pid, -1);
		else
			c->missing |= 1u << MISS_GROUP_LEADER;
	}
	if (has(c, P_SL) && c->sp[P_SL].type == '{' && u32_of(c, P_SL_PID, &ap) && ap) {
		a = ap == pid ? self : ancestor(c, ap, NULL, 0, -1);
		if (a)
			splice_ancestor(c, P_SL, a, ap == pid, -1);
		else
			c->missing |= 1u << MISS_SESSION_LEADER;
	}
	if (has(c, P_EL) && c->sp[P_EL].type == '{' && u32_of(c, P_EL_PID, &ap) && ap) {
		if (!str_of(c, P_EL_EID, &eid, &elen))
			eid = NULL, elen = 0;
		a = ap == pid ? self : ancestor(c, ap, eid, elen, P_EL_START);
		if (a)
			splice_ancestor(c, P_EL, a, ap == pid, P_EL_META);
		else
			c->missing |= 1u << MISS_ENTRY_LEADER;
	}
}

/* ---- containers
 * ----------------------------------------------------------------------------------- */

static size_t chash(const char *id, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
	return h & (CBUCKETS - 1);
}

static struct cent *cent_find(struct enrich *E, const char *id, size_t n)
{
	for (struct cent *c = E->cb[chash(id, n)]; c; c = c->hnext)
		if (!strncmp(c->id, id, n) && !c->id[n])
			return c;
	return NULL;
}

static void cent_drop(struct enrich *E, struct cent *x)
{
	struct cent **pp = &E->cb[chash(x->id, strlen(x->id))];

	while (*pp != x)
		pp = &(*pp)->hnext;
	*pp = x->hnext;
	cent_free(x);
	E->ncent--;
}

void enrich_expire(struct enrich *E, uint64_t now)
{
	uint64_t ttl = (uint64_t)E->cfg.container_ttl * 1000000000ull;

	for (size_t i = 0; i < CBUCKETS; i++)
		for (struct cent *c = E->cb[i], *n; c; c = n) {
			n = c->hnext;
			if (now > c->last_seen + ttl ||
			    (c->gone_at && now > c->gone_at + GONE_LINGER_NS))
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

/* (Re)makes the fragments of C from its info and the kubelet snapshot. */
static void cent_build(struct enrich *E, struct cent *c)
{
	const struct container_info *in = &c->info;
	struct jsonw *w = &E->w;
	const struct kubelet_pod *kp = NULL;
	const char *rt = ctr_runtime_ecs(in->runtime);
	int crio = in->runtime == CTR_RT_CRIO && (in->nlabels || in->nannotations);
	int pod = in->pod_uid || in->pod_name;

	c->missing = 0;
	jsonw_reset(w);
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "id", c->id);
	put_opt(w, "name", in->name);
	put_opt(w, "runtime", rt);
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
	if (!c->full) {
		c->missing |= 1u << MISS_CTR_NAME | 1u << MISS_CTR_IMAGE;
	}
	free(c->orch_frag);
	c->orch_frag = NULL;
	c->orch_len = 0;
	c->pods_gen = E->pods_gen;
	if (!pod) {
		if (!c->full &&
		    (in->runtime == CTR_RT_CONTAINERD_CRI || in->runtime == CTR_RT_CRIO))
			c->missing |= 1u << MISS_NAMESPACE | 1u << MISS_POD_NAME;
		return;
	}
	if (!crio && E->cfg.kubelet)
		kp = kubelet_find(E->pods, in->pod_uid);
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "type", "kubernetes");
	if (E->cfg.cluster_id || E->cfg.cluster_name) {
		jsonw_key(w, "cluster");
		jsonw_obj_begin(w);
		put_opt(w, "id", E->cfg.cluster_id);
		put_opt(w, "name", E->cfg.cluster_name);
		jsonw_obj_end(w);
	}
	if (in->pod_namespace)
		jsonw_kv_str(w, "namespace", in->pod_namespace);
	else if (kp && kp->namespace)
		jsonw_kv_str(w, "namespace", kp->namespace);
	else
		c->missing |= 1u << MISS_NAMESPACE;
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
	jsonw_obj_end(w);
	c->orch_frag = take_line(w, &c->orch_len);
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
	/* a short-lived process may be gone: its entry leader (the
	 * container's first process) is in the same container, and lasts */
	if ((container_cgroup_of_pid(E->cctx, pid, cg, sizeof(cg)) &&
	     (!leader || container_cgroup_of_pid(E->cctx, leader, cg, sizeof(cg)))) ||
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
		if (n > CTR_ID_MAX)
			return NULL;
		if (E->ncent >= E->cfg.max_containers) {
			struct cent *old = NULL;

			for (size_t i = 0; i < CBUCKETS; i++)
				for (struct cent *x = E->cb[i]; x; x = x->hnext)
					if (!old || x->last_seen < old->last_seen)
						old = x;
			if (old)
				cent_drop(E, old);
		}
		c = xcalloc(1, sizeof(*c));
		memcpy(c->id, id, n);
		c->id[n] = 0;
		c->info.privileged = -1;
		c->user = -1;
		c->first_seen = now;
		c->hnext = E->cb[chash(id, n)];
		E->cb[chash(id, n)] = c;
		E->ncent++;
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
	}
	c->last_seen = now;
	return c;
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
			c->missing |=
			    1u << MISS_CTR_ID | 1u << MISS_CTR_NAME | 1u << MISS_CTR_IMAGE;
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
	static const int fill[] = {R_EXE, R_ARGS, R_ARGC, R_CWD};
	static const char *const keys[] = {
	    "\"executable\":", "\"args\":", "\"args_count\":", "\"working_directory\":"};
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
	struct ctx c = {.E = E, .line = line, .sp = E->sp};

	if (jscan_line(E->schema, line, len, E->sp, why, at))
		return ENRICH_INVALID;
	return streq(&c, P_EV_KIND, "metric") ? ENRICH_PASSED : ENRICH_WRITTEN;
}

enum enrich_result enrich_line(struct enrich *E, const char *line, size_t len, int may_hold,
			       uint64_t now, uint64_t ingested, struct obuf *out, unsigned *missing,
			       const char **why, size_t *at)
{
	struct ctx c = {.E = E, .line = line, .sp = E->sp};
	struct pent *self = NULL;
	uint32_t pid = 0;
	int32_t pos;

	*missing = 0;
	if (jscan_line(E->schema, line, len, E->sp, why, at))
		return ENRICH_INVALID;
	if (streq(&c, P_EV_KIND, "metric")) {
		obuf_put(out, line, len);
		obuf_put(out, "\n", 1);
		return ENRICH_PASSED;
	}
	E->scratch.len = 0;

	if (u32_of(&c, P_PID, &pid) && pid) {
		int changes = streq(&c, P_EV_ACTION, "exec") || streq(&c, P_EV_ACTION, "fork");

		self = learn_self(&c, pid, changes);
	}
	/* edits in document order does not matter: they are sorted below */
	if (self) {
		do_ancestry(&c, pid, self);
		if (has(&c, P_PROC) && c.sp[P_PROC].type == '{')
			complete_self(&c, self);
	}
	do_container(&c, pid, self, streq(&c, P_EV_ACTION, "exec"), now);

	if (may_hold && (c.missing & MISS_WAITABLE)) {
		*missing = c.missing;
		return ENRICH_HOLD;
	}

	/* base fields */
	if (has(&c, P_AGENT) && !has(&c, P_AGENT_ID) && c.sp[P_AGENT].type == '{') {
		append_to(&c, P_AGENT);
		puts_(&c, "\"id\":");
		jsonw_reset(&E->w);
		jsonw_str(&E->w, E->agent_id);
		jsonw_end_line(&E->w);
		put(&c, jsonw_data(&E->w), jsonw_len(&E->w) - 1);
		jsonw_reset(&E->w);
	}
	if (has(&c, P_EVENT) && c.sp[P_EVENT].type == '{') {
		if (has(&c, P_EV_INGESTED)) {
			replace_value(&c, P_EV_INGESTED);
			put_time(E, &c, ingested);
		} else {
			append_to(&c, P_EVENT);
			puts_(&c, "\"ingested\":");
			put_time(E, &c, ingested);
		}
		if (!has(&c, P_EV_DATASET)) {
			puts_(&c, ",\"dataset\":");
			puts_(&c, streq(&c, P_EV_KIND, "alert") ? "\"cloud_defend.alerts\""
				  : has(&c, P_FILE)		? "\"cloud_defend.file\""
								: "\"cloud_defend.process\"");
		}
	}
	if (has(&c, P_HOST)) {
		replace_value(&c, P_HOST);
		put(&c, E->host_frag + 7, E->host_len - 7);
	}
	/* appended at the top level */
	pos = E->sp[P_ROOT].vend - 1;
	edit_begin(&c, pos, pos);
	{
		uint32_t n = E->sp[P_ROOT].nmembers;

		if (!has(&c, P_AGENT)) {
			puts_(&c, n++ ? "," : "");
			puts_(&c, E->agent_frag);
		}
		if (!has(&c, P_ECS)) {
			puts_(&c, n++ ? "," : "");
			puts_(&c, "\"ecs\":{\"version\":\"" D4C_ECS_VERSION "\"}");
		}
		if (!has(&c, P_HOST)) {
			puts_(&c, n++ ? "," : "");
			put(&c, E->host_frag, E->host_len);
		}
		if (c.missing && !has(&c, P_CD)) {
			puts_(&c, n++ ? "," : "");
			puts_(&c, "\"cloud_defend\":{\"context_pending\":");
			put_missing(&c);
			puts_(&c, "}");
		}
	}
	if (has(&c, P_CD) && c.sp[P_CD].type == '{' && (c.missing || has(&c, P_CD_PENDING))) {
		if (has(&c, P_CD_PENDING))
			replace_value(&c, P_CD_PENDING);
		else {
			append_to(&c, P_CD);
			puts_(&c, "\"context_pending\":");
		}
		put_missing(&c);
	}
	edit_done(&c);

	/* apply, in document order */
	for (int i = 1; i < c.ned; i++) /* few, nearly sorted */
		for (int k = i; k > 0 && edit_cmp(&c.ed[k - 1], &c.ed[k]) > 0; k--) {
			struct edit t = c.ed[k];

			c.ed[k] = c.ed[k - 1];
			c.ed[k - 1] = t;
		}
	{
		int32_t at_ = 0;

		for (int i = 0; i < c.ned; i++) {
			const struct edit *e = &c.ed[i];

			if (e->start < at_)
				continue; /* overlapping: cannot happen with distinct members */
			obuf_put(out, line + at_, e->start - at_);
			obuf_put(out, E->scratch.buf + e->off, e->len);
			at_ = e->end;
		}
		obuf_put(out, line + at_, len - at_);
		obuf_put(out, "\n", 1);
	}

	*missing = c.missing;
	E->st.written++;
	for (int i = 0; i < MISS_N; i++)
		if (c.missing & (1u << i))
			E->st.missing[i]++;
	if (!c.missing)
		E->st.full++;
	else if (c.added)
		E->st.partial++;
	else
		E->st.none++;
	if (self && streq(&c, P_EV_ACTION, "end"))
		container_ended(&c, pid, now);
	if (self && streq(&c, P_EV_ACTION, "end")) {
		/* keep it (children's events may come later) but evict it first */
		int32_t i = self - E->pt.e;

		self->ended = 1;
		if (E->pt.tail != i) {
			lru_unlink(&E->pt, i);
			lru_back(&E->pt, i);
		}
	}
	return ENRICH_WRITTEN;
}
