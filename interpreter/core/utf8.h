/* utf8.h — a code point's UTF-8 bytes (jparse's \u escapes, xmlread's references). */
#ifndef RB_UTF8_H
#define RB_UTF8_H

/* cp (< 0x110000) as UTF-8 in out[0..3]; the number of bytes, 1 to 4 */
int utf8_put(char out[4], unsigned cp);

#endif
