/* SPDX-License-Identifier: GPL-2.0-only */
/* term.h - curses setup / restore and the signals that end quelltop. */
#ifndef QUELL_TOP_TERM_H
#define QUELL_TOP_TERM_H

#include <signal.h>

#include "top.h"

enum {
	TOP_PAIR_OFFENDER = 1,
	TOP_PAIR_BAR,
	TOP_PAIR_SORT,
	TOP_PAIR_MSG,
	TOP_PAIR_ALERT,
	TOP_PAIR_DIM,
};

/* Set by SIGINT/SIGTERM/SIGHUP/SIGQUIT: the signal number; the loop exits. */
extern volatile sig_atomic_t top_term_signal;

/* Installs the quit-flag and crash handlers, ignores SIGPIPE. Returns 0 / -1. */
int top_term_signals(void);
/* initscr() and friends, plus the atexit restore hook. Returns 0 / -1. */
int top_term_init(void);
/* endwin() if curses is active; safe to call any number of times. */
void top_term_restore(void);

/* screen.c: paint the whole screen for the current mode. */
void top_screen_draw(const struct top_frame *f, struct top_ui *ui);
/* Rows of tenants that fit on the list screen (for PgUp/PgDn). */
int top_screen_page(void);

#endif /* QUELL_TOP_TERM_H */
