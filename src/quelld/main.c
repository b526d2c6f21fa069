// SPDX-License-Identifier: GPL-2.0-only
/* quelld - stub, replaced by the daemon core. */
int main(void)
{
	return 0;
}
