/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tap_proto.h - the tap hand-off: how usernet-plug gives usernetd a tap.
 * Owns: the hello and answer on DIR/NAME.tap, passing the tap's file
 * descriptor (SCM_RIGHTS), and checking that what arrived is a tap.
 * Not here: the listener and the port that reads the tap
 * (backend/transport_tap.c); making the tap (tools/usernet-plug.c).
 *
 * The client connects a unix stream socket to DIR/NAME.tap and sends, in
 * one sendmsg, the UN_TAP_HELLO_BYTES bytes of UN_TAP_HELLO with exactly
 * one file descriptor attached: an open tap (IFF_TAP | IFF_NO_PI, no
 * IFF_VNET_HDR). The daemon answers one line, "ok PORT\n" (PORT the NIC's
 * name, NET/tap-N) or "error MESSAGE\n", and closes at once on error. After
 * "ok" the connection is the NIC's life: the client closing it detaches the
 * NIC, and the daemon closes it when the NIC goes (the tap vanished, the
 * network was removed, the daemon stopped). Nothing else is sent either
 * way. The daemon reads and writes the tap itself: no frame crosses the
 * socket, so a namespace joined this way costs no extra process hop. */
#ifndef USERNET_TAP_PROTO_H
#define USERNET_TAP_PROTO_H

#include <glib.h>

#define UN_TAP_HELLO "usernet-tap 1\n"
#define UN_TAP_HELLO_BYTES (sizeof(UN_TAP_HELLO) - 1)
/* Longest answer line, newline included. */
#define UN_TAP_ANSWER_MAX_BYTES 512u
/* An interface name with its NUL: IFNAMSIZ (net/if.h and linux/if.h
 * cannot both be included, so the header names neither). */
#define UN_TAP_NAME_BYTES 16u

/* Client: send the hello with @tap_fd attached on stream socket @fd.
 * FALSE with @error (UN_ERROR_IO). */
gboolean un_tap_hello_send(int fd, int tap_fd, GError **error);

/* Daemon: receive the hello from stream socket @fd (non-blocking). Returns
 * 1 with *tap_fd set (close-on-exec, not yet checked: see un_tap_check),
 * 0 when nothing has arrived yet (EAGAIN), -1 with @error
 * (UN_ERROR_PROTOCOL for a bad hello, UN_ERROR_IO for a failed read or the
 * peer leaving; every descriptor that came with it is closed). */
int un_tap_hello_recv(int fd, int *tap_fd, GError **error);

/* Daemon: is @fd a tap we can use (TUNGETIFF: IFF_TAP and IFF_NO_PI, no
 * IFF_VNET_HDR)? Sets @name (the interface's name in its own namespace)
 * and makes @fd non-blocking. FALSE with @error (UN_ERROR_PROTOCOL)
 * saying what it is instead. */
gboolean un_tap_check(int fd, char name[UN_TAP_NAME_BYTES], GError **error);

/* Client: read the answer from stream socket @fd, waiting at most
 * @timeout_ms. TRUE with *port (newly allocated) on "ok"; FALSE with
 * @error carrying the daemon's message, or saying what went wrong. */
gboolean un_tap_answer_recv(int fd, int timeout_ms, char **port,
			    GError **error);

#endif
