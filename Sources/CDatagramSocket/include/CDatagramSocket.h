// recvmmsg and sendmmsg are GNU extensions, which Swift's Glibc module does not declare: this
// header declares a layout-compatible mmsghdr and the two calls, defined in the .c file, where
// _GNU_SOURCE makes the real ones visible.
#ifndef C_DATAGRAM_SOCKET_H
#define C_DATAGRAM_SOCKET_H

#include <sys/socket.h>

typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CDatagramSocket_mmsghdr;

int CDatagramSocket_recvmmsg(int descriptor, CDatagramSocket_mmsghdr *messages, unsigned int count, int flags);
int CDatagramSocket_sendmmsg(int descriptor, CDatagramSocket_mmsghdr *messages, unsigned int count, int flags);

extern const int CDatagramSocket_MSG_WAITFORONE;

#endif
