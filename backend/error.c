/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error.c - the usernet GError domain. */
#include "usernet/error.h"

G_DEFINE_QUARK(usernet-error-quark, un_error)
