#include "aws.h"
const struct action_desc aws_s3_actions[] = {{NULL}};
