/* caps.h — every buffer's size cap (struct buf's max), named in one place.
 *
 * A cap bounds what a file, a reply or a child process can make runbook hold. Reaching
 * one is an error, or a cut that says so; never a silent truncation (every add's
 * result is used: buf.h). Buffers that hold only our own text have no cap (0).
 */
#ifndef RB_CORE_CAPS_H
#define RB_CORE_CAPS_H

/* files read whole */
#define CAP_SOURCE            (64u << 20)   /* a runbook, scenario or kubeconfig */
#define CAP_SECRET_FILE       (1u << 20)    /* -p K@FILE */
#define CAP_MANIFEST          (16u << 20)   /* k8s.apply's file or folder, each file */
#define CAP_SANDBOX_FILE      (64u << 10)   /* a rehearsal sandbox's ~/.aws files */
#define CAP_JOURNAL_VALUE     4096u         /* one quoted value of a run's kept runbook */
#define CAP_JOURNAL           (256u << 20)  /* a run's journal.jsonl, read whole */
#define CAP_KUBE_FILE         (4u << 20)    /* a kubeconfig, its token/CA files */
#define CAP_AWS_FILE          (1u << 20)    /* a credential_process cache, an SSO token cache */

/* lines and messages shown or journaled */
#define CAP_LINE              (1u << 20)    /* one journal event line, one display line */
#define CAP_MESSAGE           (64u << 10)   /* an error, a log line, a dry-run sentence */
#define CAP_DISPLAY_ERROR     4096u         /* the error text beside a failed step */
#define CAP_CHOICES           1024u         /* "a, b or c" in an argument error */
#define CAP_REDIS_ERROR       4096u         /* one error line of a pipelined reply */
#define CAP_POINTER_PART      4096u         /* one part of a JSON pointer (the simulator) */

/* child processes */
#define CAP_OUTPUT            ((size_t)16 << 20)   /* exec's stdout, stderr; http's body */
#define CAP_EXEC_TAIL         1000u                /* stderr shown in exec's error, per part */
#define CAP_PLUGIN_OUTPUT     (1u << 20)    /* a kubeconfig exec plugin's ExecCredential */
#define CAP_CREDENTIAL_OUTPUT (64u << 10)   /* an AWS credential_process's JSON */

/* the wire */
#define CAP_AWS_REQUEST       (8u << 20)    /* a Query protocol body */
#define CAP_AWS_QUERY         (1u << 20)    /* a request's query string */
#define CAP_AWS_REPLY         (256u << 20)  /* a reply body */
#define CAP_AWS_PLAIN_REPLY   (1u << 20)    /* IMDS, container credentials, SSO */
#define CAP_S3_GET            (256u << 20)  /* s3.get_object held in memory */
#define CAP_S3_PUT            (5ull << 30)  /* s3.put_object: AWS's limit for one PUT */
#define CAP_K8S_REPLY         (64u << 20)   /* a Kubernetes API reply */
#define CAP_SIM_BODY          (64u << 20)   /* a request to the simulated AWS */
#define CAP_SIM_K8S_BODY      (16u << 20)   /* a request to the simulated Kubernetes API */
#endif
