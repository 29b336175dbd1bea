// recvmmsg and sendmmsg are GNU extensions, which Swift's Glibc module does not declare: this
// header declares a layout-compatible mmsghdr and the two calls, defined in the .c file, where
// _GNU_SOURCE makes the real ones visible. Also epoll, whose event struct is packed (which Swift
// does not import), reduced to what a poller of readable sockets needs, and an eventfd to wake it.
#ifndef C_DATAGRAM_SOCKET_H
#define C_DATAGRAM_SOCKET_H

#include <stdint.h>
#include <sys/socket.h>

typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CDatagramSocket_mmsghdr;

int CDatagramSocket_recvmmsg(int descriptor, CDatagramSocket_mmsghdr *messages, unsigned int count, int flags);
int CDatagramSocket_sendmmsg(int descriptor, CDatagramSocket_mmsghdr *messages, unsigned int count, int flags);

extern const int CDatagramSocket_MSG_WAITFORONE;

// An epoll instance watching descriptors for input, each with a caller's token.
int CDatagramSocket_epoll_create(void);
int CDatagramSocket_epoll_add(int poller, int descriptor, uint64_t token);
int CDatagramSocket_epoll_remove(int poller, int descriptor);
// Waits up to timeout_ms (-1: forever) and writes the tokens of readable descriptors.
int CDatagramSocket_epoll_wait(int poller, uint64_t *tokens, int capacity, int timeout_ms);

// A non-blocking eventfd; wake writes 1 to it, drain reads it back to 0.
int CDatagramSocket_eventfd(void);
void CDatagramSocket_eventfd_wake(int descriptor);
void CDatagramSocket_eventfd_drain(int descriptor);

#endif
