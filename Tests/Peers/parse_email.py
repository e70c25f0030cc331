"""Parses an RFC 822 message from stdin with Python's email package and prints what it found as JSON."""
import email
import email.policy
import email.utils
import json
import sys

message = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
defects = [type(d).__name__ for d in message.defects]
for name in ("Date", "From", "To", "Subject"):
    header = message[name]
    if header is not None:
        defects += [type(d).__name__ for d in header.defects]
print(json.dumps({
    "defects": defects,
    "subject": str(message["Subject"]),
    "to": str(message["To"]),
    "from": str(message["From"]),
    "content_type": message.get_content_type(),
    "date_parsed": email.utils.parsedate_to_datetime(str(message["Date"])).isoformat(),
    "body": message.get_content(),
}))
