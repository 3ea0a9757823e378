#!/usr/bin/python3
"""sigv4_oracle.py CASES.json - sign each case with botocore's SigV4Auth / S3SigV4Auth
(Debian python3-botocore, an independent implementation) and print
`name<TAB>Authorization` lines, for comparison with tests/aws/sigv4_sign (our signer).
Credentials and the timestamp are fixed so the output is deterministic."""
import datetime
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AMZ_DATE = datetime.datetime(2026, 11, 22, 3, 18, 44)


class FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return AMZ_DATE


class FakeDatetimeModule:
    datetime = FixedDatetime


botocore.auth.datetime = FakeDatetimeModule

ACCESS_KEY = 'AKIDEXAMPLE'
SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'

for case in json.load(open(sys.argv[1])):
    creds = Credentials(ACCESS_KEY, SECRET_KEY, case.get('token'))
    headers = {k: v for k, v in case['headers']}
    req = AWSRequest(method=case['method'], url=case['url'], headers=headers,
                     data=case['body'].encode() if case['body'] else None)
    if case.get('presign'):
        # a presigned URL (RDS PreSignedUrl): compare the X-Amz-Signature
        botocore.auth.SigV4QueryAuth(creds, case['service'], case['region'], expires=3600).add_auth(req)
        print('%s\t%s' % (case['name'], req.url.rsplit('X-Amz-Signature=', 1)[1]))
        continue
    cls = botocore.auth.S3SigV4Auth if case['service'] == 's3' else botocore.auth.SigV4Auth
    cls(creds, case['service'], case['region']).add_auth(req)
    print('%s\t%s' % (case['name'], req.headers['Authorization']))
