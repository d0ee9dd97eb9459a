/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_frame_path_nat.c - guest frames through one NIC into a "nat"
 * network (plugins/nat.c, backend/slirp_glue.c, ip_guard.c, libslirp):
 * the path where libslirp 4.7 dies on some IPv4 fragments (DESIGN.md,
 * "Guarding libslirp"); those frames are among the regression inputs.
 * Input and rules: fuzz_frame_path.h. */
#include "fuzz_frame_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fp_run(data, size, 1);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fp_init("nat:fz,restrict=on");
	return 0;
}
