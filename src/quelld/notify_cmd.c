// SPDX-License-Identifier: GPL-2.0-only
/*
 * notify_cmd.c - [notify] command: each action's audit event goes, as one
 * line of JSON on stdin, to a command the admin chose (mail, a chat webhook
 * via curl; docs/notify.md). Not sd_notify: that is notify.c.
 *
 * decide: notify_rate_action() / notify_rate_due(), pure, below.
 * act:    vfork + execve (no shell), the event written into a non-blocking
 *         pipe whose write end is closed at once: the command reads it and
 *         EOF. A pipe holds 64 KiB and an event is ~1 KiB, so the write
 *         never waits; a bigger one gets a bigger pipe (F_SETPIPE_SZ).
 * reap:   main.c's signalfd takes SIGCHLD (blocked in main() before any
 *         thread starts) and calls notify_cmd_reap(), which waits only for
 *         the pids it started (WNOHANG), never for any child.
 * timeout: each tick kills the process group of a command past its
 *         deadline (so the command's own children go too), so it fires
 *         within one tick after [notify] timeout.
 * The tick and the socket never wait for a command: the cost in the loop is
 * the fork (measured in docs/notify.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "notify_cmd.h"

/* ---- decide (pure) ---- */

static struct notify_rate_ent *rate_find(struct notify_rate *r, const char *tenant)
{
	for (int i = 0; i < r->nr; i++)
		if (!strcmp(r->ent[i].tenant, tenant))
			return &r->ent[i];
	return NULL;
}

/* the window is over: what it suppressed joins the pending summary */
static void rate_close(struct notify_rate_ent *e, uint64_t window_ms)
{
	if (e->suppressed) {
		if (!e->sum_n)
			e->sum_from_ms = e->start_ms;
		e->sum_n += e->suppressed;
		e->sum_to_ms = e->start_ms + window_ms;
	}
	e->start_ms = 0;
	e->sent = e->suppressed = 0;
}

static bool rate_open(const struct notify_rate_ent *e)
{
	return e->sent || e->suppressed;	/* a window holds at least the action that opened it */
}

enum notify_verdict notify_rate_action(struct notify_rate *r, const char *tenant,
				       uint64_t now_ms, uint64_t window_ms, uint32_t max_n,
				       bool room)
{
	struct notify_rate_ent *e = rate_find(r, tenant);

	if (e && rate_open(e) && now_ms - e->start_ms >= window_ms)
		rate_close(e, window_ms);
	if (!e) {
		if (r->nr >= NOTIFY_RATE_MAX) {
			r->untracked++;
			return NV_UNTRACKED;
		}
		e = &r->ent[r->nr++];
		memset(e, 0, sizeof(*e));
		snprintf(e->tenant, sizeof(e->tenant), "%s", tenant);
	}
	if (!rate_open(e))
		e->start_ms = now_ms;
	if (e->sent < max_n && room) {
		e->sent++;
		return NV_RUN;
	}
	e->suppressed++;
	return NV_SUPPRESS;
}

bool notify_rate_due(struct notify_rate *r, uint64_t now_ms, uint64_t window_ms,
		     struct notify_rate_ent *out)
{
	for (int i = 0; i < r->nr; i++) {
		struct notify_rate_ent *e = &r->ent[i];
		bool due;

		if (rate_open(e) && now_ms - e->start_ms >= window_ms)
			rate_close(e, window_ms);
		due = e->sum_n > 0;
		if (due) {
			*out = *e;
			e->sum_n = 0;
		}
		if (!rate_open(e))
			r->ent[i--] = r->ent[--r->nr];	/* nothing left in it: forget it */
		if (due)
			return true;
	}
	return false;
}

/* ---- act ---- */

struct notify_job {
	pid_t pid;			/* 0: free slot */
	uint64_t start_ms, deadline_ms;	/* mono */
	bool killed;
	char what[QUELL_NAME_MAX + 32];	/* "throttle alice", for the log */
};

struct notify_cmd {
	struct notify_rate rate;
	struct notify_job job[NOTIFY_MAX_RUNNING];
	int running;
	bool user_ok;			/* [notify] user resolved (or root) */
	uid_t uid;
	gid_t gid;
	char home[256];
	uint64_t untracked_seen;
};

static uint64_t now_ms(void)
{
	return mono_ns() / 1000000;
}

/* [notify] user -> uid/gid/home, once per start and reload (getpwnam may ask NSS) */
static void resolve_user(struct daemon *d, struct notify_cmd *n)
{
	struct passwd *pw;

	n->user_ok = true;
	n->uid = 0;
	n->gid = 0;
	snprintf(n->home, sizeof(n->home), "/");
	if (!d->cfg.notify_command[0])
		return;
	if (access(d->cfg.notify_command, X_OK))
		log_warn("notify: [notify] command %s: %m (each action will log that it failed)",
			 d->cfg.notify_command);
	if (!d->cfg.notify_user[0])
		return;
	errno = 0;
	pw = getpwnam(d->cfg.notify_user);
	if (!pw) {
		log_err("notify: [notify] user %s: %s: no command will run until it exists "
			"(then reload)", d->cfg.notify_user, errno ? strerror(errno) : "no such user");
		n->user_ok = false;
		return;
	}
	n->uid = pw->pw_uid;
	n->gid = pw->pw_gid;
	snprintf(n->home, sizeof(n->home), "%s", pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
}

int notify_cmd_open(struct daemon *d)
{
	struct notify_cmd *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	d->notify = n;
	resolve_user(d, n);
	if (d->cfg.notify_command[0])
		log_info("notify: %s for each action (at most %u per tenant per %llu s, %u at once, "
			 "timeout %llu ms%s%s)", d->cfg.notify_command, d->cfg.notify_max_per_tenant,
			 (unsigned long long)d->cfg.notify_window_ms / 1000, d->cfg.notify_max_running,
			 (unsigned long long)d->cfg.notify_timeout_ms,
			 d->cfg.notify_user[0] ? ", user " : "", d->cfg.notify_user);
	return 0;
}

void notify_cmd_reload(struct daemon *d)
{
	if (d->notify)
		resolve_user(d, d->notify);
}

/*
 * child - between vfork and exec. vfork, not fork: the child borrows
 * quelld's memory instead of copying its page tables; fork cost 13.8 ms
 * median, 39 ms max in the loop per command (tests/integration/t_notify.sh,
 * 27 commands), the loop's whole budget. The price: the child shares our
 * memory and must not touch libc state, so it makes raw system calls only.
 * setuid() & co. are not used: glibc's wrappers broadcast the change to
 * every thread of the process, which from here would be quelld's threads.
 * vfork gives the child its own signal table and cwd, so resetting SIGPIPE
 * and chdir() do not reach quelld.
 */
static void __attribute__((noreturn)) child(const struct notify_cmd *n, const char *cmd,
					    int in_fd, int null_fd, char *const envp[])
{
	char *const argv[] = { (char *)cmd, NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	setpgid(0, 0);		/* its own group: the timeout kills what it started too */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);	/* main() blocked TERM/INT/HUP/CHLD */
	sigaction(SIGPIPE, &dfl, NULL);		/* quelld ignores it; an exec'd program must not */
	if (dup2(in_fd, 0) < 0 || dup2(null_fd, 1) < 0)
		_exit(126);	/* stderr stays quelld's: the journal shows the command's errors */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	if ((n->uid || n->gid) &&
	    (syscall(SYS_setgroups, 1, &n->gid) || syscall(SYS_setresgid, n->gid, n->gid, n->gid) ||
	     syscall(SYS_setresuid, n->uid, n->uid, n->uid)))
		_exit(126);
	if (syscall(SYS_chdir, n->home))
		syscall(SYS_chdir, "/");
	syscall(SYS_execve, cmd, argv, envp);
	_exit(127);
}

/* vfork in a frame of its own: no local of spawn() lives across it */
static pid_t __attribute__((noinline)) start_child(const struct notify_cmd *n, const char *cmd,
						   int in_fd, int null_fd, char *const envp[])
{
	pid_t pid = vfork();

	if (pid == 0)
		child(n, cmd, in_fd, null_fd, envp);
	return pid;
}

/*
 * spawn - start the command with text (len bytes) on its stdin. Returns 0
 * or -errno; never waits for the command.
 */
static int spawn(struct daemon *d, struct notify_cmd *n, const char *tenant, const char *action,
		 const char *text, size_t len)
{
	char e_path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char e_home[300], e_tenant[QUELL_NAME_MAX + 16], e_action[64];
	char *envp[] = { e_path, e_home, (char *)"LANG=C.UTF-8", e_tenant, e_action, NULL };
	struct notify_job *j = NULL;
	int p[2], null_fd, ret = 0;
	ssize_t w;
	pid_t pid;

	for (int i = 0; i < NOTIFY_MAX_RUNNING && !j; i++)
		if (!n->job[i].pid)
			j = &n->job[i];
	if (!j)
		return -EAGAIN;
	snprintf(e_home, sizeof(e_home), "HOME=%s", n->home);
	snprintf(e_tenant, sizeof(e_tenant), "QUELL_TENANT=%s", tenant);
	snprintf(e_action, sizeof(e_action), "QUELL_ACTION=%s", action);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	/* the read end is the command's stdin: blocking for it, only our end is not */
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_NONBLOCK);
	if (len > 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)len) < 0)
		log_warn("notify: a %zu-byte event is larger than a pipe: it will be cut", len);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid = null_fd < 0 ? -1 : start_child(n, d->cfg.notify_command, p[0], null_fd, envp);
	if (pid < 0)
		ret = -errno;
	if (null_fd >= 0)
		close(null_fd);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return ret;
	}
	w = write(p[1], text, len);
	if (w < 0 || (size_t)w < len)
		log_warn("notify: %s %s: only %zd of %zu bytes written to the command", action,
			 tenant, w, len);
	close(p[1]);
	j->pid = pid;
	j->start_ms = now_ms();
	j->deadline_ms = j->start_ms + d->cfg.notify_timeout_ms;
	j->killed = false;
	snprintf(j->what, sizeof(j->what), "%s %s", action, tenant);
	n->running++;
	return 0;
}

static int run_json(struct daemon *d, struct notify_cmd *n, const char *tenant, const char *action,
		    json_t *ev)
{
	char *text = json_dumps(ev, JSON_COMPACT);
	uint64_t t0 = mono_ns();
	size_t len;
	int ret;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len] = '\n';	/* json_dumps' NUL becomes the line's end: one line per event */
	ret = spawn(d, n, tenant, action, text, len + 1);
	free(text);
	if (ret)
		log_warn("notify: %s %s: cannot start %s: %s", action, tenant, d->cfg.notify_command,
			 strerror(-ret));
	else
		log_debug("notify: %s %s: %s started (%.2f ms in the loop)", action, tenant,
			  d->cfg.notify_command, (double)(mono_ns() - t0) / 1e6);
	return ret;
}

void notify_cmd_event(struct daemon *d, json_t *ev)
{
	struct notify_cmd *n = d->notify;
	const char *tenant, *action;
	enum notify_verdict v;

	if (!n || !d->cfg.notify_command[0] || !n->user_ok)
		return;
	tenant = json_string_value(json_object_get(ev, "tenant"));
	action = json_string_value(json_object_get(ev, "action"));
	if (!tenant || !action)
		return;
	v = notify_rate_action(&n->rate, tenant, now_ms(), d->cfg.notify_window_ms,
			       d->cfg.notify_max_per_tenant,
			       n->running < (int)d->cfg.notify_max_running);
	if (v == NV_RUN)
		run_json(d, n, tenant, action, ev);
	else
		log_debug("notify: %s %s: suppressed (%s)", action, tenant,
			  v == NV_UNTRACKED ? "table full" : "rate limit or max_running");
}

static void run_summary(struct daemon *d, struct notify_cmd *n, const struct notify_rate_ent *s,
			uint64_t mono_now)
{
	uint64_t real_ms, span_s = (s->sum_to_ms - s->sum_from_ms + 999) / 1000;
	struct timespec ts;
	char text[256];
	json_t *ev;

	clock_gettime(CLOCK_REALTIME, &ts);
	real_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	snprintf(text, sizeof(text), "%u more action%s for %s suppressed in the last %llu s",
		 s->sum_n, s->sum_n == 1 ? "" : "s", s->tenant, (unsigned long long)span_s);
	/* the window in wall-clock time: mono stamps shifted by (real now - mono now) */
	ev = json_pack("{s:I, s:I, s:s, s:s, s:i, s:I, s:I, s:I, s:s}",
		       "time", (json_int_t)(real_ms / 1000), "time_ms", (json_int_t)real_ms,
		       "tenant", s->tenant, "action", "summary", "suppressed", (int)s->sum_n,
		       "window_s", (json_int_t)span_s,
		       "from_ms", (json_int_t)(real_ms - (mono_now - s->sum_from_ms)),
		       "to_ms", (json_int_t)(real_ms - (mono_now - s->sum_to_ms)), "text", text);
	log_info("notify: %s", text);
	if (ev)
		run_json(d, n, s->tenant, "summary", ev);
	json_decref(ev);
}

void notify_cmd_reap(struct daemon *d)
{
	struct notify_cmd *n = d->notify;
	uint64_t now;

	if (!n || !n->running)
		return;
	now = now_ms();
	for (int i = 0; i < NOTIFY_MAX_RUNNING; i++) {
		struct notify_job *j = &n->job[i];
		int st;

		if (!j->pid || waitpid(j->pid, &st, WNOHANG) != j->pid)
			continue;
		if (j->killed)
			log_warn("notify: %s: %s ran past the timeout (%llu ms): its process group "
				 "was killed", j->what, d->cfg.notify_command,
				 (unsigned long long)d->cfg.notify_timeout_ms);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			log_warn("notify: %s: %s could not be executed (missing or not executable)",
				 j->what, d->cfg.notify_command);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 126)
			log_warn("notify: %s: %s exited 126 (its own, or it could not be started as "
				 "[notify] user %s)", j->what, d->cfg.notify_command,
				 d->cfg.notify_user[0] ? d->cfg.notify_user : "root");
		else if (WIFEXITED(st) && WEXITSTATUS(st))
			log_warn("notify: %s: %s exited %d", j->what, d->cfg.notify_command,
				 WEXITSTATUS(st));
		else if (WIFSIGNALED(st))
			log_warn("notify: %s: %s killed by signal %d", j->what, d->cfg.notify_command,
				 WTERMSIG(st));
		else
			log_debug("notify: %s: done in %llu ms", j->what,
				  (unsigned long long)(now - j->start_ms));
		j->pid = 0;
		n->running--;
	}
}

void notify_cmd_tick(struct daemon *d, uint64_t mono_ms)
{
	struct notify_cmd *n = d->notify;
	struct notify_rate_ent s;
	uint64_t now = mono_ms;

	if (!n)
		return;
	for (int i = 0; i < NOTIFY_MAX_RUNNING; i++) {
		struct notify_job *j = &n->job[i];

		if (j->pid && !j->killed && now >= j->deadline_ms) {
			kill(-j->pid, SIGKILL);
			j->killed = true;
		}
	}
	notify_cmd_reap(d);	/* a SIGCHLD coalesced with another is caught here */
	if (n->rate.untracked != n->untracked_seen) {
		log_warn("notify: %llu action(s) not notified: more than %d tenants had an open window",
			 (unsigned long long)(n->rate.untracked - n->untracked_seen), NOTIFY_RATE_MAX);
		n->untracked_seen = n->rate.untracked;
	}
	if (!d->cfg.notify_command[0] || !n->user_ok)
		return;
	while (n->running < (int)d->cfg.notify_max_running &&
	       notify_rate_due(&n->rate, now, d->cfg.notify_window_ms, &s))
		run_summary(d, n, &s, now);
}

/*
 * At stop, the enforcer's last releases have just started their commands:
 * they get up to NOTIFY_STOP_GRACE_MS to finish (a mail is sent in a few ms),
 * then their groups are killed: nobody would enforce their timeout after we
 * exit. Stopping is not the tick: this wait stalls nothing else.
 */
#define NOTIFY_STOP_GRACE_MS	1000

void notify_cmd_close(struct daemon *d)
{
	struct notify_cmd *n = d->notify;
	uint64_t end;
	int left = 0;

	if (!n)
		return;
	end = now_ms() + NOTIFY_STOP_GRACE_MS;
	while (n->running && now_ms() < end) {
		notify_cmd_reap(d);
		if (n->running)
			usleep(10000);
	}
	for (int i = 0; i < NOTIFY_MAX_RUNNING; i++)
		if (n->job[i].pid) {
			kill(-n->job[i].pid, SIGKILL);
			waitpid(n->job[i].pid, NULL, 0);	/* SIGKILLed: returns at once */
			left++;
		}
	if (left)
		log_warn("notify: %d command(s) still running %d ms after stop: killed", left,
			 NOTIFY_STOP_GRACE_MS);
	free(n);
	d->notify = NULL;
}
