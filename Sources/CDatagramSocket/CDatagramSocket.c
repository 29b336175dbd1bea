#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include "CDatagramSocket.h"

_Static_assert(sizeof(CDatagramSocket_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(CDatagramSocket_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

const int CDatagramSocket_MSG_WAITFORONE = MSG_WAITFORONE;

int CDatagramSocket_recvmmsg(int descriptor, CDatagramSocket_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(descriptor, (struct mmsghdr *)messages, count, flags, NULL);
}

int CDatagramSocket_sendmmsg(int descriptor, CDatagramSocket_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(descriptor, (struct mmsghdr *)messages, count, flags);
}
