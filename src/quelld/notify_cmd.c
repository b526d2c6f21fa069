// SPDX-License-Identifier: GPL-2.0-only
/*
 * notify_cmd.c - [notify] command: each action's audit event goes, as one
 * line of JSON on stdin, to a command the admin chose (mail, a chat webhook
 * via curl; docs/notify.md). Not sd_notify: that is notify.c.
 *
 * decide: notify_rate_action() / notify_rate_due(), pure, below; and
 *         notify_cmd_file_ok(): the file may not be writable by others.
 * queue:  the loop copies the event text and the command's settings into
 *         a job and wakes the spawner thread; that is all it pays.
 * act:    the spawner thread: vfork + execve (no shell), the event written
 *         into a non-blocking pipe whose write end is closed at once: the
 *         command reads it and EOF. A pipe holds 64 KiB and an event is
 *         ~1 KiB, so the write never waits; a bigger one gets a bigger pipe
 *         (F_SETPIPE_SZ).
 * reap:   main.c's signalfd takes SIGCHLD (blocked in main() before any
 *         thread starts) and calls notify_cmd_reap(), which waits only for
 *         the pids it started (WNOHANG), never for any child.
 * timeout: each tick kills the process group of a command past its
 *         deadline (so the command's own children go too), so it fires
 *         within one tick after [notify] timeout.
 * The tick and the socket never wait for a command: the cost in the loop is
 * json_dumps and a lock (measured in docs/notify.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
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

int notify_cmd_file_ok(const struct stat *st, uid_t uid, char *why, size_t len)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, len, "not a regular file");
		return -EINVAL;
	}
	if (!(st->st_mode & 0111)) {
		snprintf(why, len, "not executable");
		return -EACCES;
	}
	if (st->st_uid != 0 && st->st_uid != uid) {
		snprintf(why, len, "owned by uid %u, neither root nor the user it runs as",
			 (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "writable by its group or others (chmod go-w)");
		return -EPERM;
	}
	return 0;
}

/* ---- act ---- */

enum job_state {
	JOB_FREE,
	JOB_QUEUED,		/* the loop filled it; the spawner has not taken it */
	JOB_STARTING,		/* the spawner is starting it */
	JOB_RUNNING,		/* pid is ours to reap */
};

/*
 * One command. The request part is a copy of what the loop knew (command,
 * user, event text): a reload may swap the configuration while the spawner
 * thread starts it.
 */
struct notify_job {
	enum job_state state;
	uint64_t seq;			/* queue order */
	pid_t pid;
	uint64_t start_ms, deadline_ms;	/* mono, set when started */
	bool killed;
	char what[QUELL_NAME_MAX + 32];	/* "throttle alice", for the log */
	char *text;			/* the event line, freed once written */
	size_t len;
	char cmd[sizeof(((struct quell_config *)0)->notify_command)];
	uint64_t timeout_ms;
	uid_t uid;
	gid_t gid;
	char e_home[300], e_tenant[QUELL_NAME_MAX + 16], e_action[64];
};

/*
 * The loop decides and queues; a spawner thread starts the commands. With
 * the vfork in the loop itself, the loop waited for each child to reach
 * exec: median 2.7 to 7.8 ms, max 38 to 69 ms per command at load 15-26 on
 * 2 CPUs (four runs of tests/integration/t_notify.sh), most of it the child
 * waiting for a CPU; with fork() it was 13.8 ms median (page tables copied).
 * mu guards every job's state, pid and the queue; the loop reaps and
 * enforces timeouts, the spawner only starts.
 */
struct notify_cmd {
	struct notify_rate rate;
	struct notify_job job[NOTIFY_MAX_RUNNING];
	int busy;			/* jobs not JOB_FREE */
	uint64_t seq;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool thread_up, stop;
	bool user_ok;			/* [notify] user resolved (or root) */
	uid_t uid;
	gid_t gid;
	char home[256];
	uint64_t untracked_seen;
};

static uint64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* the command file, checked at start, reload and before each run: 0 or -errno (logged) */
static int check_file(const char *cmd, uid_t uid)
{
	char why[128];
	struct stat st;
	int ret;

	if (stat(cmd, &st)) {
		ret = -errno;
		log_warn("notify: [notify] command %s: %s: not run", cmd, strerror(-ret));
		return ret;
	}
	ret = notify_cmd_file_ok(&st, uid, why, sizeof(why));
	if (ret)
		log_warn("notify: [notify] command %s: %s: not run", cmd, why);
	return ret;
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
	if (d->cfg.notify_user[0]) {
		errno = 0;
		pw = getpwnam(d->cfg.notify_user);
		if (!pw) {
			log_err("notify: [notify] user %s: %s: no command will run until it exists "
				"(then reload)", d->cfg.notify_user,
				errno ? strerror(errno) : "no such user");
			n->user_ok = false;
			return;
		}
		n->uid = pw->pw_uid;
		n->gid = pw->pw_gid;
		snprintf(n->home, sizeof(n->home), "%s",
			 pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	}
	check_file(d->cfg.notify_command, n->uid);
}

/*
 * child - between vfork and exec. vfork, not fork: the child borrows
 * quelld's memory instead of copying its page tables. The price: the child
 * shares our memory and must not touch libc state, so it makes raw system
 * calls only. setuid() & co. are not used: glibc's wrappers broadcast the
 * change to every thread of the process, which from here would be quelld's
 * threads. vfork gives the child its own signal table and cwd, so
 * resetting SIGPIPE and chdir() do not reach quelld.
 */
static void __attribute__((noreturn)) child(const struct notify_job *j, int in_fd, int null_fd)
{
	char *envp[] = {
		(char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		(char *)j->e_home, (char *)"LANG=C.UTF-8", (char *)j->e_tenant,
		(char *)j->e_action, NULL
	};
	char *const argv[] = { (char *)j->cmd, NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	setpgid(0, 0);		/* its own group: the timeout kills what it started too */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);	/* main() blocked TERM/INT/HUP/CHLD */
	sigaction(SIGPIPE, &dfl, NULL);		/* quelld ignores it; an exec'd program must not */
	if (dup2(in_fd, 0) < 0 || dup2(null_fd, 1) < 0)
		_exit(126);	/* stderr stays quelld's: the journal shows the command's errors */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	if ((j->uid || j->gid) &&
	    (syscall(SYS_setgroups, 1, &j->gid) || syscall(SYS_setresgid, j->gid, j->gid, j->gid) ||
	     syscall(SYS_setresuid, j->uid, j->uid, j->uid)))
		_exit(126);
	if (syscall(SYS_chdir, j->e_home + 5))
		syscall(SYS_chdir, "/");
	syscall(SYS_execve, j->cmd, argv, envp);
	_exit(127);
}

/* vfork in a frame of its own: no local of spawn() lives across it */
static pid_t __attribute__((noinline)) start_child(const struct notify_job *j, int in_fd,
						   int null_fd)
{
	pid_t pid = vfork();

	if (pid == 0)
		child(j, in_fd, null_fd);
	return pid;
}

/*
 * spawn - (spawner thread) start j's command with its text on stdin.
 * Returns the pid or -errno.
 */
static pid_t spawn(struct notify_job *j)
{
	int p[2], null_fd, ret;
	ssize_t w;
	pid_t pid;

	ret = check_file(j->cmd, j->uid);
	if (ret)
		return ret;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	/* the read end is the command's stdin: blocking for it, only our end is not */
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_NONBLOCK);
	if (j->len > 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)j->len) < 0)
		log_warn("notify: a %zu-byte event is larger than a pipe: it will be cut", j->len);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid = null_fd < 0 ? -1 : start_child(j, p[0], null_fd);
	ret = pid < 0 ? -errno : 0;
	if (null_fd >= 0)
		close(null_fd);
	close(p[0]);
	if (ret) {
		close(p[1]);
		return ret;
	}
	w = write(p[1], j->text, j->len);
	if (w < 0 || (size_t)w < j->len)
		log_warn("notify: %s: only %zd of %zu bytes written to the command", j->what, w,
			 j->len);
	close(p[1]);
	return pid;
}

/* the oldest queued job, or NULL; under mu */
static struct notify_job *next_queued(struct notify_cmd *n)
{
	struct notify_job *best = NULL;

	for (int i = 0; i < NOTIFY_MAX_RUNNING; i++)
		if (n->job[i].state == JOB_QUEUED && (!best || n->job[i].seq < best->seq))
			best = &n->job[i];
	return best;
}

/* the spawner thread: starts queued jobs; at stop, the queue is drained first */
static void *spawner(void *arg)
{
	struct notify_cmd *n = arg;
	struct sched_param sp = { 0 };
	struct notify_job *j;

	/*
	 * SCHED_BATCH: its wake-up does not preempt the loop that woke it
	 * (with the default policy, the loop's json + queue took 2.4 ms median,
	 * 15.6 ms max at load ~20: the spawner ran first on the loop's CPU);
	 * RESET_ON_FORK: the commands run with the normal policy.
	 */
	if (sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &sp))
		log_debug("notify: spawner thread: SCHED_BATCH: %m");
	pthread_mutex_lock(&n->mu);
	for (;;) {
		uint64_t t0;
		pid_t pid;

		j = next_queued(n);
		if (!j && n->stop)
			break;
		if (!j) {
			pthread_cond_wait(&n->cv, &n->mu);
			continue;
		}
		j->state = JOB_STARTING;
		pthread_mutex_unlock(&n->mu);

		t0 = clock_mono_ns();
		pid = spawn(j);
		free(j->text);
		j->text = NULL;
		if (pid < 0)
			log_warn("notify: %s: cannot start %s: %s", j->what, j->cmd, strerror(-pid));
		else
			log_debug("notify: %s: %s started, pid %d (%.2f ms in the spawner thread)",
				  j->what, j->cmd, (int)pid, (double)(clock_mono_ns() - t0) / 1e6);

		pthread_mutex_lock(&n->mu);
		if (pid < 0) {
			j->state = JOB_FREE;
			n->busy--;
		} else {
			j->pid = pid;
			j->start_ms = now_ms();
			j->deadline_ms = j->start_ms + j->timeout_ms;
			j->state = JOB_RUNNING;
		}
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

int notify_cmd_open(struct daemon *d)
{
	struct notify_cmd *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	/* main() blocked the loop's signals before this: the thread inherits the mask */
	ret = -pthread_create(&n->thread, NULL, spawner, n);
	if (ret) {
		pthread_cond_destroy(&n->cv);
		pthread_mutex_destroy(&n->mu);
		free(n);
		return ret;
	}
	n->thread_up = true;
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

/* queue ev for the spawner (the loop's whole cost: json_dumps and a lock). 0 or -errno */
static int queue_json(struct daemon *d, struct notify_cmd *n, const char *tenant,
		      const char *action, json_t *ev)
{
	char *text = json_dumps(ev, JSON_COMPACT);
	struct notify_job *j = NULL;
	size_t len;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len] = '\n';	/* json_dumps' NUL becomes the line's end: one line per event */
	pthread_mutex_lock(&n->mu);
	for (int i = 0; i < NOTIFY_MAX_RUNNING && !j; i++)
		if (n->job[i].state == JOB_FREE)
			j = &n->job[i];
	if (!j) {
		pthread_mutex_unlock(&n->mu);
		free(text);
		return -EAGAIN;
	}
	j->seq = ++n->seq;
	j->pid = 0;
	j->killed = false;
	j->text = text;
	j->len = len + 1;
	snprintf(j->what, sizeof(j->what), "%s %s", action, tenant);
	snprintf(j->cmd, sizeof(j->cmd), "%s", d->cfg.notify_command);
	j->timeout_ms = d->cfg.notify_timeout_ms;
	j->uid = n->uid;
	j->gid = n->gid;
	snprintf(j->e_home, sizeof(j->e_home), "HOME=%s", n->home);
	snprintf(j->e_tenant, sizeof(j->e_tenant), "QUELL_TENANT=%s", tenant);
	snprintf(j->e_action, sizeof(j->e_action), "QUELL_ACTION=%s", action);
	j->state = JOB_QUEUED;
	n->busy++;
	pthread_mutex_unlock(&n->mu);
	pthread_cond_signal(&n->cv);	/* after the unlock: the spawner wakes to a free lock */
	return 0;
}

static void run_json(struct daemon *d, struct notify_cmd *n, const char *tenant,
		     const char *action, json_t *ev)
{
	uint64_t t0 = clock_mono_ns();
	int ret = queue_json(d, n, tenant, action, ev);

	if (ret)
		log_warn("notify: %s %s: cannot queue %s: %s", action, tenant,
			 d->cfg.notify_command, strerror(-ret));
	else
		log_debug("notify: %s %s: queued (%.3f ms in the loop)", action, tenant,
			  (double)(clock_mono_ns() - t0) / 1e6);
}

static bool room(struct daemon *d, struct notify_cmd *n)
{
	bool r;

	pthread_mutex_lock(&n->mu);
	r = n->busy < (int)d->cfg.notify_max_running;
	pthread_mutex_unlock(&n->mu);
	return r;
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
			       d->cfg.notify_max_per_tenant, room(d, n));
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

static void log_exit(struct daemon *d, const struct notify_job *j, int st, uint64_t now)
{
	if (j->killed)
		log_warn("notify: %s: %s ran past the timeout (%llu ms): its process group was "
			 "killed", j->what, j->cmd, (unsigned long long)j->timeout_ms);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		log_warn("notify: %s: %s could not be executed (missing or not executable)",
			 j->what, j->cmd);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 126)
		log_warn("notify: %s: %s exited 126 (its own, or it could not be started as "
			 "[notify] user %s)", j->what, j->cmd,
			 d->cfg.notify_user[0] ? d->cfg.notify_user : "root");
	else if (WIFEXITED(st) && WEXITSTATUS(st))
		log_warn("notify: %s: %s exited %d", j->what, j->cmd, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		log_warn("notify: %s: %s killed by signal %d", j->what, j->cmd, WTERMSIG(st));
	else
		log_debug("notify: %s: done in %llu ms", j->what,
			  (unsigned long long)(now - j->start_ms));
}

void notify_cmd_reap(struct daemon *d)
{
	struct notify_cmd *n = d->notify;
	uint64_t now = now_ms();

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	for (int i = 0; i < NOTIFY_MAX_RUNNING; i++) {
		struct notify_job *j = &n->job[i];
		int st;

		/* only the pids we started: never waitpid(-1) */
		if (j->state != JOB_RUNNING || waitpid(j->pid, &st, WNOHANG) != j->pid)
			continue;
		log_exit(d, j, st, now);
		j->pid = 0;
		j->state = JOB_FREE;
		n->busy--;
	}
	pthread_mutex_unlock(&n->mu);
}

void notify_cmd_tick(struct daemon *d, uint64_t mono_ms)
{
	struct notify_cmd *n = d->notify;
	struct notify_rate_ent s;
	uint64_t now = mono_ms;

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	for (int i = 0; i < NOTIFY_MAX_RUNNING; i++) {
		struct notify_job *j = &n->job[i];

		if (j->state == JOB_RUNNING && !j->killed && now >= j->deadline_ms) {
			kill(-j->pid, SIGKILL);	/* not reaped yet: the group id is still ours */
			j->killed = true;
		}
	}
	pthread_mutex_unlock(&n->mu);
	notify_cmd_reap(d);	/* a SIGCHLD coalesced with another, or early, is caught here */
	if (n->rate.untracked != n->untracked_seen) {
		log_warn("notify: %llu action(s) not notified: more than %d tenants had an open window",
			 (unsigned long long)(n->rate.untracked - n->untracked_seen), NOTIFY_RATE_MAX);
		n->untracked_seen = n->rate.untracked;
	}
	if (!d->cfg.notify_command[0] || !n->user_ok)
		return;
	while (room(d, n) && notify_rate_due(&n->rate, now, d->cfg.notify_window_ms, &s))
		run_summary(d, n, &s, now);
}

/*
 * At stop, the enforcer's last releases have just queued their commands:
 * the spawner starts what is queued, then the commands get up to
 * NOTIFY_STOP_GRACE_MS to finish (a mail is sent in a few ms), then their
 * groups are killed: nobody would enforce their timeout after we exit.
 * Stopping is not the tick: this wait stalls nothing else.
 */
#define NOTIFY_STOP_GRACE_MS	1000

void notify_cmd_close(struct daemon *d)
{
	struct notify_cmd *n = d->notify;
	uint64_t end;
	int left = 0;

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (n->thread_up)
		pthread_join(n->thread, NULL);
	end = now_ms() + NOTIFY_STOP_GRACE_MS;
	while (n->busy && now_ms() < end) {
		notify_cmd_reap(d);
		if (n->busy)
			usleep(10000);
	}
	for (int i = 0; i < NOTIFY_MAX_RUNNING; i++) {
		struct notify_job *j = &n->job[i];

		if (j->state == JOB_RUNNING) {
			kill(-j->pid, SIGKILL);
			waitpid(j->pid, NULL, 0);	/* SIGKILLed: returns at once */
			left++;
		}
		free(j->text);
	}
	if (left)
		log_warn("notify: %d command(s) still running %d ms after stop: killed", left,
			 NOTIFY_STOP_GRACE_MS);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
	d->notify = NULL;
}
