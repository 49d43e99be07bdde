/*
 * conn.c — what a request's connection tells the server: the client's address, IPv4 or IPv6,
 * after a trusted proxy's X-Forwarded-For (server_client_addr). The main listener (http.c),
 * the OpenRosa routes (openrosa.c) and the household query's listener (public.c) all log and
 * rate-limit by this one address.
 *
 * Invariant: out always holds a NUL-terminated string; "?" when the address is unknown.
 */
#include "server_int.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>

void server_conn_addr(struct MHD_Connection *conn, const char *trusted, char *out, size_t size)
{
    char peer[INET6_ADDRSTRLEN] = "?";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, peer,
                  sizeof peer);
    else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, peer,
                  sizeof peer);
    server_client_addr(peer, trusted,
                       MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For"), out,
                       size);
}
