// SPDX-License-Identifier: GPL-2.0
/* hold_socket [PROTOCOL [FAMILY]]: opens socket(FAMILY, SOCK_RAW,
 * PROTOCOL) (FAMILY AF_BSDINET unless given), says "ready", waits for a
 * line on stdin (or its end), and closes. Used by module_test.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bsdinet.h>

int main(int argc, char **argv)
{
	int s = socket(argc > 2 ? atoi(argv[2]) : AF_BSDINET, SOCK_RAW, argc > 1 ? atoi(argv[1]) : 0);
	char line[16];

	if (s < 0) {
		perror("socket");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	return close(s) ? 1 : 0;
}
