/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/common.h - what every part of the kernel programs relies on: the
 * kernel's constants that vmlinux.h lacks (BTF carries no #define), the
 * two builds' ways of looping and of finding the current task, and the
 * idioms the verifier needs to follow a hook's arguments and a buffer's
 * indices (ctx_arg, IDX).
 *
 * Relies on vmlinux.h, libbpf's headers and d4c.h; LOOP in the bounded
 * build on the loop_ctx map (maps.h) wherever it is used.
 */
#ifndef D4C_COMMON_H
#define D4C_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "d4c.h"

#define EPERM		   1
#define S_IFMT		   00170000
#define S_IFREG		   0100000
#define S_IFDIR		   0040000
#define S_IFLNK		   0120000
#define S_ISREG(m)	   (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m)	   (((m)&S_IFMT) == S_IFDIR)
#define S_IXUGO		   00111
#define FMODE_READ	   0x1
#define FMODE_WRITE	   0x2
#define FMODE_EXEC	   0x20
#define MAY_WRITE	   0x2
#define PROT_WRITE	   0x2
#define PROT_EXEC	   0x4
#define MAP_TYPE	   0x0f
#define MAP_SHARED	   0x01
#define RENAME_EXCHANGE	   2
#define MS_REMOUNT	   32
#define MS_UNBINDABLE	   (1 << 17)
#define MS_PRIVATE	   (1 << 18)
#define MS_SLAVE	   (1 << 19)
#define MS_SHARED	   (1 << 20)
#define CLONE_THREAD	   0x00010000
#define DCACHE_MOUNTED_6_1 0x00010000

/*
 * Two builds of the programs, chosen by d4c-load at load time: the
 * default one for kernels with bpf_loop (5.17 and later), and one with
 * -DD4C_NO_BPF_LOOP for older ones (5.10 to 5.16), where every LOOP is a
 * bounded loop the verifier walks (5.3 and later) and the current task
 * is read with bpf_get_current_task (bpf_get_current_task_btf is 5.11).
 * Every read through the task is a CO-RE probe read, so the same code
 * serves both.
 */
#ifdef D4C_NO_BPF_LOOP
/*
 * A loop's context lives in a map (loop_ctx, maps.h) while it runs: what
 * is read back from a map is an unknown number to the verifier, so the
 * paths through one step are alike again at the next and it prunes them;
 * on the stack it would follow every path through every step (a million
 * instructions on 5.10 for the path walk alone).
 */
#define LOOP_CTX_SIZE 64
#define LOOP(n, step, c)                                                       \
	do {                                                                   \
		__u32 __z = 0;                                                 \
		typeof(*(c)) *__m = bpf_map_lookup_elem(&loop_ctx, &__z);      \
		_Static_assert(sizeof(*(c)) <= LOOP_CTX_SIZE, "loop context"); \
		if (!__m)                                                      \
			break;                                                 \
		__builtin_memcpy(__m, (c), sizeof(*(c)));                      \
		for (__u32 __k = 0; __k < (n); __k++)                          \
			if (step(__k, __m))                                    \
				break;                                         \
		__builtin_memcpy((c), __m, sizeof(*(c)));                      \
	} while (0)
#define current_task() ((struct task_struct *)bpf_get_current_task())
/* code written for the other build (a merge) gets this one's way too */
#define bpf_get_current_task_btf()  current_task()
#define bpf_loop(n, step, c, flags) LOOP(n, step, c)
#else
#define LOOP(n, step, c) bpf_loop(n, step, c, 0)
#define current_task()	 bpf_get_current_task_btf()
#endif

/*
 * Argument N of a hook, at a constant offset into its context: the
 * compiler would otherwise turn "a ? ctx[i] : ctx[j]" into one load at a
 * computed offset, which the verifier refuses.
 */
#define ctx_arg(ctx, n)                                                                    \
	({                                                                                 \
		__u64 __a;                                                                 \
		asm volatile("%0 = *(u64 *)(%1 + %2)" : "=r"(__a) : "r"(ctx), "i"((n)*8)); \
		__a;                                                                       \
	})

/*
 * X & M, with the mask kept: the compiler drops a mask that a comparison
 * made redundant, and the verifier (6.1's at least) cannot follow that
 * bound through a 32-bit move, so every index into a buffer goes through
 * this.
 */
#define IDX(x, m)                             \
	({                                    \
		__u32 __v = (x);              \
		asm volatile("" : "+r"(__v)); \
		__v &(m);                     \
	})

#endif /* D4C_COMMON_H */
