/*
 * Prints the server libmemcached's weighted ketama picks for each key, so the test suite can
 * compare KetamaRing against a real memcached client without any server running: libmemcached
 * places keys locally.
 *
 * stdin:  one line "<server count>", then per server "<host> <port> <weight>", then per key
 *         one line of the key's bytes in hex (so keys may hold any byte, newlines included).
 * stdout: per key, the index of the chosen server in the input order.
 */
#include <libmemcached/memcached.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int main(void) {
  memcached_st *memc = memcached_create(NULL);
  if (memc == NULL) return 2;
  if (memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1) != MEMCACHED_SUCCESS) return 3;

  unsigned count = 0;
  if (scanf("%u", &count) != 1) return 4;
  for (unsigned i = 0; i < count; i++) {
    char host[256];
    unsigned port = 0, weight = 0;
    if (scanf("%255s %u %u", host, &port, &weight) != 3) return 5;
    memcached_return_t rc = memcached_server_add_with_weight(memc, host, (in_port_t) port, weight);
    if (rc != MEMCACHED_SUCCESS) {
      fprintf(stderr, "memcached_server_add_with_weight(%s, %u, %u): %s\n", host, port, weight, memcached_strerror(memc, rc));
      return 6;
    }
  }
  if (memcached_server_count(memc) != count) return 7;

  static char line[1 << 16];
  static char key[1 << 15];
  int c = getchar(); /* the newline after the last server */
  (void) c;
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t length = strcspn(line, "\r\n");
    if (length % 2 != 0) return 8;
    for (size_t i = 0; i < length / 2; i++) {
      int hi = hex_value(line[2 * i]), lo = hex_value(line[2 * i + 1]);
      if (hi < 0 || lo < 0) return 9;
      key[i] = (char) (hi * 16 + lo);
    }
    printf("%u\n", memcached_generate_hash(memc, key, length / 2));
  }
  memcached_free(memc);
  return 0;
}
