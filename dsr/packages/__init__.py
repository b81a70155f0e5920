"""Answer packages: the files and data rows that answer an access or portability request, sealed into one ZIP
with a cover letter in the person's language, downloaded through an expiring link and a one-time code sent
to the proven email, deleted after expiry (services.py; contents.py builds the ZIP, letter.py the cover
letter's facts). `contents.package_manifest(request)` lists what the person was given, with hashes."""
