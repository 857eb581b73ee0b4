/* names.c - the names of d4c's numbers (see names.h). */
#include "config.h"

#include <string.h>

#include "d4c.h"
#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const type_names[D4C_NTYPES] = { "file", "process" };

static const char *const file_ops[] = {
	[D4C_OP_CREATE_EXECUTABLE] = "createExecutable",
	[D4C_OP_MODIFY_EXECUTABLE] = "modifyExecutable",
	[D4C_OP_CREATE_FILE] = "createFile",
	[D4C_OP_MODIFY_FILE] = "modifyFile",
	[D4C_OP_DELETE_FILE] = "deleteFile",
	[D4C_OP_EXEC_MEMFD] = "execMemFd",
	[D4C_OP_READ_FILE] = "readFile",
};
static const char *const process_ops[] = {
	[D4C_OP_FORK] = "fork",
	[D4C_OP_EXEC] = "exec",
};

static const char *const ckey_names[D4C_CK_MAX + 1] = {
	[D4C_CK_IMAGE_FULL_NAME] = "containerImageFullName",
	[D4C_CK_IMAGE_NAME] = "containerImageName",
	[D4C_CK_IMAGE_TAG] = "containerImageTag",
	[D4C_CK_CLUSTER_ID] = "kubernetesClusterId",
	[D4C_CK_CLUSTER_NAME] = "kubernetesClusterName",
	[D4C_CK_NAMESPACE] = "kubernetesNamespace",
	[D4C_CK_POD_NAME] = "kubernetesPodName",
	[D4C_CK_POD_LABEL] = "kubernetesPodLabel",
};

static const char *const hook_names[D4C_HOOK_MAX] = {
	[D4C_HOOK_SCHED_FORK] = "tracepoint__sched_process_fork",
	[D4C_HOOK_SCHED_EXEC] = "tracepoint__sched_process_exec",
	[D4C_HOOK_SCHED_EXIT] = "tracepoint__sched_process_exit",
	[D4C_HOOK_BPRM_CHECK] = "lsm__bprm_check_security",
	[D4C_HOOK_TASK_ALLOC] = "lsm__task_alloc",
	[D4C_HOOK_FILE_OPEN] = "lsm__file_open",
	[D4C_HOOK_PATH_MKNOD] = "lsm__path_mknod",
	[D4C_HOOK_PATH_UNLINK] = "lsm__path_unlink",
	[D4C_HOOK_PATH_RENAME] = "lsm__path_rename",
	[D4C_HOOK_PATH_LINK] = "lsm__path_link",
	[D4C_HOOK_PATH_TRUNCATE] = "lsm__path_truncate",
	[D4C_HOOK_PATH_CHMOD] = "lsm__path_chmod",
	[D4C_HOOK_PATH_SYMLINK] = "lsm__path_symlink",
	[D4C_HOOK_FILE_PERMISSION] = "lsm__file_permission",
	[D4C_HOOK_MMAP_FILE] = "lsm__mmap_file",
	[D4C_HOOK_INODE_SETXATTR] = "lsm__inode_setxattr",
	[D4C_HOOK_INODE_CREATE] = "lsm__inode_create",
	[D4C_HOOK_SB_MOUNT] = "lsm__sb_mount",
	[D4C_HOOK_CGROUP_MKDIR] = "tracepoint__cgroup_mkdir",
	[D4C_HOOK_CGROUP_RMDIR] = "tracepoint__cgroup_rmdir",
	[D4C_HOOK_SYS_OPEN] = "tracepoint__syscalls__open",
	[D4C_HOOK_SYS_UNLINK] = "tracepoint__syscalls__unlink",
	[D4C_HOOK_SYS_RENAME] = "tracepoint__syscalls__rename",
	[D4C_HOOK_SYS_LINK] = "tracepoint__syscalls__link",
	[D4C_HOOK_SYS_TRUNCATE] = "tracepoint__syscalls__truncate",
	[D4C_HOOK_SYS_CHMOD] = "tracepoint__syscalls__chmod",
	[D4C_HOOK_SYS_EXECVE] = "tracepoint__syscalls__execve",
	[D4C_HOOK_SYS_SYMLINK] = "tracepoint__syscalls__symlink",
	[D4C_HOOK_SYS_MKNOD] = "tracepoint__syscalls__mknod",
};

static const char *const cap_names[D4C_NCAPS] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

const char *d4c_type_name(unsigned type)
{
	return type < D4C_NTYPES ? type_names[type] : "?";
}

const char *d4c_op_name(unsigned type, unsigned op)
{
	if (type == D4C_TYPE_FILE && op < ARRAY_SIZE(file_ops))
		return file_ops[op];
	if (type == D4C_TYPE_PROCESS && op < ARRAY_SIZE(process_ops))
		return process_ops[op];
	return NULL;
}

int d4c_op_parse(unsigned type, const char *name)
{
	for (unsigned op = 0; op < D4C_MAX_OPS; op++) {
		const char *n = d4c_op_name(type, op);

		if (n && !strcmp(n, name))
			return (int)op;
	}
	return -1;
}

const char *d4c_action_name(unsigned bit)
{
	switch (bit) {
	case D4C_ACTION_LOG:
		return "log";
	case D4C_ACTION_ALERT:
		return "alert";
	case D4C_ACTION_BLOCK:
		return "block";
	}
	return "?";
}

const char *d4c_ckey_name(unsigned key)
{
	return key && key <= D4C_CK_MAX ? ckey_names[key] : "?";
}

const char *d4c_hook_name(unsigned hook)
{
	return hook < D4C_HOOK_MAX ? hook_names[hook] : NULL;
}

const char *d4c_cap_name(unsigned cap)
{
	return cap < D4C_NCAPS ? cap_names[cap] : NULL;
}
