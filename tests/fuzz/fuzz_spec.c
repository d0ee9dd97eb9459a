/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_spec.c - network definitions: the --net SPEC parser and the key
 * file loader (backend/config.c), then the option parsers every kind runs
 * on a definition (router options and forwards, portfwd, the switch and
 * DHCP keys: backend/router_config.c, switch.c, dhcp_config.c).
 * Input: a SPEC up to the first NUL byte, then the bytes of a key file
 * (none when there is no NUL). The key file goes through
 * un_config_file_load as usernetd reads --config, from a memfd
 * (/proc/self/fd/N), so nothing touches the disk.
 * Checks: every refusal carries a message; every definition accepted has
 * a valid name and a kind; nothing a parser accepts is half-built (the
 * clear functions run on every outcome, so leaks and double frees show).
 * No network is created: that would bind forwards. */
#include <sys/mman.h>

#include "config.h"
#include "fuzz_util.h"
#include "usernet/dhcp.h"
#include "usernet/lan.h"
#include "usernet/router.h"
#include "usernet/switch.h"

static void expect_error(gboolean ok, GError *err)
{
	FUZZ_CHECK(ok ? err == NULL : err != NULL && err->message[0] != '\0');
}

static void check_dhcp(const struct un_config *c, const struct un_dhcp_net *net)
{
	struct un_dhcp_config cfg = { 0 };
	g_autoptr(GError) err = NULL;
	gboolean ok = un_dhcp_config_parse(&cfg, c, net, &err);

	expect_error(ok, err);
	if (ok) {
		FUZZ_CHECK(ntohl(cfg.first.s_addr) <= ntohl(cfg.last.s_addr));
		FUZZ_CHECK(cfg.max_leases <= UN_DHCP_LEASES_MAX);
		(void)un_dhcp_config_pool_size(&cfg);
	}
	un_dhcp_config_clear(&cfg);
}

/* What the kinds read from a definition, in their order. */
static void check_def(const struct un_netdef *def)
{
	struct un_config c = un_netdef_config(def);
	struct un_router_config rc;
	struct un_switch_config sc;
	g_autoptr(GError) err = NULL;
	guint mtu;
	gboolean ok, b;

	FUZZ_CHECK(un_network_name_valid(def->name) && def->kind[0] != '\0');
	if (!un_config_uint(&c, "mtu", 68, UN_MTU_MAX, UN_MTU_DEFAULT, &mtu, NULL))
		mtu = UN_MTU_DEFAULT;
	(void)un_config_bool(&c, "dhcp", FALSE, &b, NULL);
	memset(&rc, 0, sizeof(rc));
	ok = un_router_config_parse(&rc, &c, mtu, &err) &&
	     un_router_config_parse_portfwd(&rc, &c, &err);
	expect_error(ok, err);
	if (ok) {
		g_autofree char *subnet = un_router_config_subnet(&rc);
		struct un_dhcp_net facts = un_lan_dhcp_facts(&rc, mtu);

		FUZZ_CHECK(subnet != NULL && (rc.ipv4 || rc.ipv6));
		if (rc.ipv4)
			check_dhcp(&c, &facts);
	}
	un_router_config_clear(&rc);
	g_clear_error(&err);
	ok = un_switch_config_parse(&sc, &c, &err);
	expect_error(ok, err);
}

static void load_file(const uint8_t *data, size_t size, GPtrArray *defs)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *path = NULL;
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	gboolean ok;

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	path = g_strdup_printf("/proc/self/fd/%d", fd);
	ok = un_config_file_load(path, defs, &err);
	expect_error(ok, err);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) defs =
		g_ptr_array_new_with_free_func((GDestroyNotify)un_netdef_free);
	const uint8_t *nul = memchr(data, '\0', size);
	size_t spec_len = nul ? (size_t)(nul - data) : size;
	g_autofree char *spec = g_strndup((const char *)data, spec_len);
	g_autoptr(GError) err = NULL;
	struct un_netdef *def = un_spec_parse(spec, &err);

	expect_error(def != NULL, err);
	if (def)
		g_ptr_array_add(defs, def);
	if (nul)
		load_file(nul + 1, size - spec_len - 1, defs);
	for (guint i = 0; i < defs->len; i++)
		check_def(g_ptr_array_index(defs, i));
	g_clear_error(&err);
	expect_error(un_netdefs_check_unique(defs, &err), err);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}
