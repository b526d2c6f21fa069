// SPDX-License-Identifier: GPL-2.0-only
/* quellctl - stub. */
int main(void)
{
	return 0;
}
