/*
 * The floor of bench/echo: a UDP echo that does nothing but send every datagram back where it
 * came from, the way Parley's media thread moves them (one thread blocking in recvmmsg for up
 * to 16 datagrams, then one sendmmsg), with no STUN, DTLS, SRTP or RTP work at all. Its CPU per
 * echoed packet, under the same packet sizes and rate as the WebRTC load, is what the kernel
 * alone costs per packet on the machine: the least any single-threaded server can spend.
 *
 * Usage: floor_echo            binds 127.0.0.1 on a free port and prints
 *                              "floor echo on udp://127.0.0.1:PORT"; runs until killed.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

enum { BATCH = 16, CAPACITY = 2048 };

int main(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof local;
    if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) != 0
        || getsockname(fd, (struct sockaddr *)&local, &length) != 0) {
        perror("floor_echo: socket");
        return 1;
    }
    printf("floor echo on udp://127.0.0.1:%d\n", ntohs(local.sin_port));
    fflush(stdout);

    static char buffers[BATCH][CAPACITY];
    struct sockaddr_in sources[BATCH];
    struct iovec vectors[BATCH];
    struct mmsghdr messages[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            vectors[i] = (struct iovec){.iov_base = buffers[i], .iov_len = CAPACITY};
            messages[i] = (struct mmsghdr){
                .msg_hdr = {.msg_name = &sources[i], .msg_namelen = sizeof sources[i],
                            .msg_iov = &vectors[i], .msg_iovlen = 1}};
        }
        int received = recvmmsg(fd, messages, BATCH, MSG_WAITFORONE, NULL);
        if (received <= 0) continue;
        for (int i = 0; i < received; i++) vectors[i].iov_len = messages[i].msg_len;
        sendmmsg(fd, messages, (unsigned)received, MSG_DONTWAIT);
    }
}
