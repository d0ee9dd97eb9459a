/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json_member.h - one named integer member of the JSON object a stats or
 * show writer is building. Owns: the two json-glib calls each counter
 * needs. Not here: which members there are (each module's own writer). */
#ifndef USERNET_JSON_MEMBER_H
#define USERNET_JSON_MEMBER_H

#include <json-glib/json-glib.h>

static inline void un_json_member_int(JsonBuilder *b, const char *name,
				      gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

#endif
