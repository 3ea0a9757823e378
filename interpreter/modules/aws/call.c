#include "aws.h"
const struct action_desc aws_call_actions[] = {{NULL}};
