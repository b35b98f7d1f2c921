-- PostgreSQL version of ../010_request_filter_indexes.sql (the same statements).

-- An index for every filter of the public request list (issue 14.5): a month of one category, or
-- of one status, is found in the index in the list's order instead of by scanning the time index
-- (updated_after and the date range alone already had theirs). The staff inbox filters on
-- detailed_status.
CREATE INDEX open311_requests_by_service ON open311_requests (service_code, requested_at);
CREATE INDEX open311_requests_by_status ON open311_requests (status, requested_at);
CREATE INDEX open311_requests_by_detailed_status ON open311_requests (detailed_status, requested_at);
