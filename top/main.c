// SPDX-License-Identifier: GPL-2.0-only
/* quelltop - stub. */
int main(void)
{
	return 0;
}
