#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
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

int CDatagramSocket_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int CDatagramSocket_epoll_add(int poller, int descriptor, uint64_t token) {
    struct epoll_event event = {.events = EPOLLIN, .data = {.u64 = token}};
    return epoll_ctl(poller, EPOLL_CTL_ADD, descriptor, &event);
}

int CDatagramSocket_epoll_remove(int poller, int descriptor) {
    return epoll_ctl(poller, EPOLL_CTL_DEL, descriptor, NULL);
}

int CDatagramSocket_epoll_wait(int poller, uint64_t *tokens, int capacity, int timeout_ms) {
    struct epoll_event events[64];
    int count = epoll_wait(poller, events, capacity < 64 ? capacity : 64, timeout_ms);
    for (int index = 0; index < count; index++) tokens[index] = events[index].data.u64;
    return count;
}

int CDatagramSocket_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void CDatagramSocket_eventfd_wake(int descriptor) {
    uint64_t one = 1;
    (void)!write(descriptor, &one, sizeof one);
}

void CDatagramSocket_eventfd_drain(int descriptor) {
    uint64_t value;
    (void)!read(descriptor, &value, sizeof value);
}
