// SPDX-License-Identifier: GPL-2.0-only
/*
 * term.c - the terminal's lifecycle. Whatever way quelltop ends (q, an
 * error, exit(), SIGINT/SIGTERM/SIGHUP, even a crash) the terminal is put
 * back: signals only set a flag the loop checks (endwin() is not
 * async-signal-safe), exit() runs the atexit hook, and fatal signals
 * restore and re-raise the way htop's crash handler does.
 */
#include <ncurses.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "term.h"

volatile sig_atomic_t top_term_signal;
static bool active;

void top_term_restore(void)
{
	if (!active)
		return;
	active = false;
	curs_set(1);
	endwin();
}

static void on_quit_signal(int sig)
{
	top_term_signal = sig;
}

static void on_fatal_signal(int sig)
{
	/* best effort: a shell left in raw mode is worse than the risk here */
	top_term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int top_term_signals(void)
{
	static const int quit[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocked getch() / recv() returns and the loop sees the flag */
	sa.sa_handler = on_quit_signal;
	for (size_t i = 0; i < sizeof(quit) / sizeof(quit[0]); i++)
		if (sigaction(quit[i], &sa, NULL))
			return -1;
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int top_term_init(void)
{
	static bool hooked;
	SCREEN *scr;

	if (!hooked) {
		if (atexit(top_term_restore))
			return -1;
		hooked = true;
	}
	/* newterm, not initscr: a bad TERM is an error to report, not an exit inside curses */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -1;
	scr = newterm(NULL, stdout, stdin);
	if (!scr)
		return -1;
	set_term(scr);
	active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED, NULL);
	mouseinterval(200);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(TOP_PAIR_OFFENDER, COLOR_RED, -1);
		init_pair(TOP_PAIR_BAR, COLOR_BLACK, COLOR_CYAN);
		init_pair(TOP_PAIR_SORT, COLOR_BLACK, COLOR_YELLOW);
		init_pair(TOP_PAIR_MSG, COLOR_YELLOW, -1);
		init_pair(TOP_PAIR_ALERT, COLOR_WHITE, COLOR_RED);
		init_pair(TOP_PAIR_DIM, COLOR_BLUE, -1);
	}
	return 0;
}
