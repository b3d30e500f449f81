/*
 * Evaluates libketama's per-server digest count with the C compiler's own float semantics, to
 * check KetamaRing's emulation of them (libketama itself is not packaged by Debian).
 *
 * stdin:  per server one line "<weight> <total weight> <server count>".
 * stdout: per line, the number of MD5 digests libketama's ketama_create_continuum gives it.
 */
#include <math.h>
#include <stdio.h>

int main(void) {
  unsigned long weight = 0, total = 0;
  unsigned int servers = 0;
  while (scanf("%lu %lu %u", &weight, &total, &servers) == 3) {
    /* The expression as libketama writes it: a float share, a double literal, floorf(). */
    float pct = (float) weight / (float) total;
    unsigned int digests = floorf(pct * 40.0 * (float) servers);
    printf("%u\n", digests);
  }
  return 0;
}
