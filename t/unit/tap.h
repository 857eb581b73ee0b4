/*
 * tap.h - a tiny Test Anything Protocol producer for the C unit tests, read
 * by automake's tap-driver.sh. Header-only: each test is one program.
 */
#ifndef D4C_TAP_H
#define D4C_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NO_PLAN -1

static int tap_planned = NO_PLAN, tap_run, tap_failed;

/* S for a test's name: bytes outside printable ASCII as '?', in BUF. */
static __attribute__((unused)) const char *printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = s[i] < ' ' || s[i] > '~' ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void __attribute__((unused)) plan(int n)
{
	tap_planned = n;
	if (n != NO_PLAN)
		printf("1..%d\n", n);
}

static int tap_vresult(int cond, const char *fmt, va_list ap)
{
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_run);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static int __attribute__((unused, format(printf, 2, 3))) ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cond = tap_vresult(!!cond, fmt, ap);
	va_end(ap);
	return cond;
}

static int __attribute__((unused, format(printf, 3, 4)))
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vresult(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return r;
}

static int __attribute__((unused, format(printf, 3, 4)))
is_str(const char *got, const char *want, const char *fmt, ...)
{
	int same = (!got && !want) || (got && want && !strcmp(got, want));
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(same, fmt, ap);
	va_end(ap);
	if (!same)
		printf("#   got:  %s%s%s\n#   want: %s%s%s\n", got ? "'" : "", got ? got : "NULL",
		       got ? "'" : "", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
	return same;
}

static void __attribute__((unused)) skip(int n, const char *why)
{
	while (n-- > 0)
		printf("ok %d # SKIP %s\n", ++tap_run, why);
}

static void __attribute__((unused, format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Returns the exit status: 0 when every test passed and the plan was kept. */
static int __attribute__((unused)) done_testing(void)
{
	if (tap_planned == NO_PLAN)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
	fflush(stdout);
	return tap_failed || (tap_planned != NO_PLAN && tap_planned != tap_run);
}

#endif
