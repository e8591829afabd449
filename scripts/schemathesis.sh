#!/usr/bin/env bash
# schemathesis against a live server: every operation of /api/schema/, the default
# checks plus response-schema conformance, the stateful phase included.
# The server runs with DEBUG off on DATABASE_URL (a fresh SQLite file by default),
# as a staff user with a token, so that every operation is reachable.
#   scripts/schemathesis.sh [extra st options]
EXTRA=("$@")
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
port=${ST_PORT:-8765}
export DEBUG=false
export SECRET_KEY="schemathesis-$(date +%s%N)"
export FIELD_ENCRYPTION_KEYS=$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
export DATABASE_URL=${DATABASE_URL:-sqlite:///$work/db.sqlite3}
export ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=false  # plain HTTP on loopback
# The run makes thousands of requests from one address; the throttles are tested in the suite.
export THROTTLE_LOGIN=100000/min THROTTLE_LOGIN_USERNAME=100000/min THROTTLE_AI=100000/min

.venv/bin/python manage.py migrate --noinput -v 0
new_token() {
    .venv/bin/python manage.py shell -v 0 -c '
from django.contrib.auth import get_user_model
from knox.models import AuthToken
user, _ = get_user_model().objects.get_or_create(username="schemathesis", defaults={"is_staff": True, "is_superuser": True})
print(AuthToken.objects.create(user)[1])'
}

.venv/bin/gunicorn orchestrator.wsgi --bind "127.0.0.1:$port" --workers 2 --threads 4 \
    --log-level warning >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT

st() {
    .venv/bin/st --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/api/schema/" \
        --wait-for-schema 30 \
        -H "Authorization: Token $(new_token)" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
        --max-examples "${ST_MAX_EXAMPLES:-30}" \
        --seed 1 \
        --generation-database none \
        "$@"
}

status=0
# Logging out revokes the run's token, so each logout gets a pass (and a token) of its own.
# A project's event stream stays open, waiting for what happens next, until STREAM_MAX_SECONDS:
# the run would wait on every call; it is tested in the suite (activity/tests/test_project_events.py).
st --exclude-path-regex '/auth/logout|/projects/\{id\}/events/' "${EXTRA[@]}" || status=$?
for logout in /api/v1/auth/logout/ /api/v1/auth/logout-all/; do
    st --include-path "$logout" --phases coverage,fuzzing "${EXTRA[@]}" || status=$?
done
if [ "$status" -ne 0 ]; then
    echo "--- server log (tail) ---"; tail -n 60 "$work/server.log"
fi
exit "$status"
