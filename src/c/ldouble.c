/* Long-double arithmetic for INCRBYFLOAT, which Redis computes in C `long double` (80-bit
 * extended precision on x86-64). Rust has no such type, and f64 rounds differently (10.5 + 0.1
 * must print as 10.6), so the parse, the addition and the formatting happen here, exactly as
 * Redis's string2ld(), incrbyfloatCommand() and ld2string(LD_STR_HUMAN) do them. */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis's MAX_LONG_DOUBLE_CHARS: the size of every buffer involved. */
#define HERALD_LD_CHARS (5 * 1024)

/* Redis's string2ld(): no leading space, nothing left unparsed, no overflow, no NaN, and shorter
 * than the buffer. All of it must be consumed, so an embedded NUL makes it invalid. */
static int herald_string2ld(const char *s, size_t slen, long double *dp) {
    char buf[HERALD_LD_CHARS];
    char *eptr;
    long double value;

    if (slen == 0 || slen >= sizeof(buf)) return 0;
    memcpy(buf, s, slen);
    buf[slen] = '\0';

    errno = 0;
    value = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' || (size_t)(eptr - buf) != slen ||
        ((errno == ERANGE) &&
         (value == HUGE_VAL || value == -HUGE_VAL || fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL || isnan(value))
        return 0;
    *dp = value;
    return 1;
}

/* cur (NULL when the key is missing, which counts as 0) + incr, formatted like Redis's
 * ld2string(LD_STR_HUMAN) into out (at least HERALD_LD_CHARS bytes).
 * Returns the length written, -1 if an operand is not a valid float, -2 if the sum is NaN or
 * infinite. */
long herald_incrbyfloat(const char *cur, size_t curlen, const char *incr, size_t incrlen,
                        char *out, size_t outcap) {
    long double value = 0, by;
    int l;

    if (cur != NULL && !herald_string2ld(cur, curlen, &value)) return -1;
    if (!herald_string2ld(incr, incrlen, &by)) return -1;
    value += by;
    if (isnan(value) || isinf(value)) return -2;

    l = snprintf(out, outcap, "%.17Lf", value);
    if (l < 0 || (size_t)l + 1 > outcap) return -1;
    if (strchr(out, '.') != NULL) {
        char *p = out + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        l = 1;
    }
    return l;
}
