#!/bin/sh
# One-shot: wait until the cluster answers, then create the namespace and Hireflow's search attributes.
# Keep the attribute list in step with models/temporal_keys.py (tests/test_foundation_compose.py checks it).
set -eu
NAMESPACE="${DEFAULT_NAMESPACE:-default}"
MAX_ATTEMPTS=60
attempt=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" | grep -q SERVING; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then echo "Temporal did not become healthy" >&2; exit 1; fi
  sleep 2
done
temporal operator namespace describe -n "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$NAMESPACE" --address "$TEMPORAL_ADDRESS"
add_attribute() {
  temporal operator search-attribute create --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" \
    --name "$1" --type "$2" || echo "search attribute $1 already exists"
}
add_attribute ApplicationId Int
add_attribute CandidateId Int
add_attribute JobId Int
add_attribute StageName Keyword
add_attribute SchedulingStatus Keyword
add_attribute RecruiterId Keyword
add_attribute InterviewStart Datetime
add_attribute AssessmentStatus Keyword
add_attribute AssessmentScore Double
echo "Namespace $NAMESPACE is ready"
