DROP INDEX preservations_of_case;
DROP INDEX preservations_of_request;
