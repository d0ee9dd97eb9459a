/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_frame_path_natnet.c - guest frames from two NICs into a "natnet"
 * network (plugins/natnet.c, backend/lan.c: the switch, the DHCP server
 * and the router with its guard and libslirp).
 * Input and rules: fuzz_frame_path.h. */
#include "fuzz_frame_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fp_run(data, size, 2);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fp_init("natnet:fz,restrict=on");
	return 0;
}
