/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error.h - the GError domain every usernet call reports with. */
#ifndef USERNET_ERROR_H
#define USERNET_ERROR_H

#include <glib.h>

#define UN_ERROR (un_error_quark())
GQuark un_error_quark(void);

enum un_error_code {
	UN_ERROR_CONFIG,    /* a bad option, key or value */
	UN_ERROR_IO,        /* a system call failed */
	UN_ERROR_BUSY,      /* in use: port, name, directory */
	UN_ERROR_PROTOCOL,  /* a peer broke its wire protocol */
	UN_ERROR_NOT_FOUND, /* no such network, port, rule */
	UN_ERROR_REFUSED,   /* the network's kind said no */
};

#endif
