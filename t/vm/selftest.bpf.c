// SPDX-License-Identifier: GPL-2.0
/* Selftest of t/vm/run: refuses to open files named d4c-vm-selftest-deny. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define EPERM 1

char LICENSE[] SEC("license") = "GPL";

static const char deny[] = "d4c-vm-selftest-deny";

SEC("lsm/file_open")
int BPF_PROG(selftest_file_open, struct file *file)
{
	char name[sizeof(deny) + 1];
	const unsigned char *p = BPF_CORE_READ(file, f_path.dentry, d_name.name);

	if (bpf_probe_read_kernel_str(name, sizeof(name), p) != sizeof(deny))
		return 0;
	for (int i = 0; i < (int)sizeof(deny); i++)
		if (name[i] != deny[i])
			return 0;
	return -EPERM;
}
