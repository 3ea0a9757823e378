#include "aws.h"
const struct action_desc aws_secrets_actions[] = {{NULL}};
