DROP INDEX requests_stats;
