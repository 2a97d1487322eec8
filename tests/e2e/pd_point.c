/* LD_PRELOAD shim of the e2e suite (scenario partial-delivery): sets
 * SCTP_PARTIAL_DELIVERY_POINT to $PD_POINT bytes on every SCTP socket the
 * process starts listening on, so that the kernel hands each message of
 * several DATA chunks over in pieces, whichever SCTP module the Kamailio
 * under test loads (neither sets the option itself). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#define SCTP_PARTIAL_DELIVERY_POINT 19 /* linux/sctp.h */

int listen(int fd, int backlog)
{
	static int (*real_listen)(int, int);
	int proto = 0;
	socklen_t len = sizeof(proto);
	const char *env = getenv("PD_POINT");

	if (!real_listen)
		real_listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	if (env && getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 && proto == IPPROTO_SCTP) {
		unsigned int point = (unsigned int)atoi(env);
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &point, sizeof(point)) != 0)
			perror("pd_point.so: SCTP_PARTIAL_DELIVERY_POINT");
		else
			fprintf(stderr, "pd_point.so: SCTP_PARTIAL_DELIVERY_POINT %u on socket %d\n", point, fd);
	}
	return real_listen(fd, backlog);
}
