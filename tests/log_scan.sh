# Scans of what the tests leave behind, sourced by tests/run.sh and
# tests/sanitize.sh.

# Every password and secret the tests use: none may be in any process log.
# scan_secrets DIR...: prints what it found; status 1 when a secret is there.
scan_secrets() {
  local leaks
  leaks=$(grep -rlE 'pw-user[0-9]{5}|pw-(locked|mustchange|expired)|svc-secret|Sup3r-S3cret|hunter2|N3w-P|AdPw-' \
            --include='*.log' "$@" 2>/dev/null || true)
  if [ -n "$leaks" ]; then
    echo "a secret used by the tests appears in these logs:"; echo "$leaks"
    return 1
  fi
  echo "log scan: no test secret in $(find "$1" -name '*.log' | wc -l) process logs"
}

# What AddressSanitizer, LeakSanitizer and UBSan print when they find
# something (UBSan's "runtime error:" line comes before its abort).
SANITIZER_REPORT='ERROR: (Address|Leak|Thread|Memory)Sanitizer|WARNING: ThreadSanitizer|SUMMARY: (Address|Leak|Thread|UndefinedBehavior)Sanitizer|runtime error: '

# scan_sanitizer_reports FILE_OR_DIR...: prints each report with the lines
# after it (the stack); status 1 when there is one.
scan_sanitizer_reports() {
  local files f found=0
  # Process logs and command outputs only: the tests' databases are large.
  files=$(grep -rlaE --include='*.log' --include=out "$SANITIZER_REPORT" "$@" 2>/dev/null || true)
  for f in $files; do
    found=1
    echo "=== sanitizer report in $f"
    grep -naE -A40 "$SANITIZER_REPORT" "$f" | head -120
  done
  if [ $found -eq 1 ]; then return 1; fi
  echo "sanitizer scan: no report in $(find "$@" -type f \( -name '*.log' -o -name out \) | wc -l) files"
}
