/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport.c - the table of transports.
 * Owns: which transports exist and the order endpoints are made in.
 * Not here: any transport's workings (backend/transport_*.c). */
#include "transport.h"

const struct un_transport_ops *const un_transports[] = {
	&un_transport_vde,
	&un_transport_stream,
	&un_transport_dgram,
	&un_transport_tcp,
	NULL,
};
