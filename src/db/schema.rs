//! Diesel's view of the tables in `migrations/` (both backends share it).

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        role -> Text,
        token_hash -> Nullable<Text>,
        token_created_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        deactivated_at -> Nullable<Timestamp>,
        password_hash -> Nullable<Text>,
        password_changed_at -> Nullable<Timestamp>,
        language -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    web_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    /// Personal calendar feeds, known by the hash of their URL's secret.
    calendar_feeds (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    requests (id) {
        id -> Text,
        reference -> Text,
        case_reference -> Text,
        title -> Text,
        issuing_magistrate -> Text,
        target_country -> Text,
        requested_authority -> Nullable<Text>,
        channel -> Nullable<Text>,
        legal_basis -> Nullable<Text>,
        legal_basis_detail -> Nullable<Text>,
        offences -> Text,
        measures -> Text,
        priority -> Text,
        coordinator_email -> Nullable<Text>,
        status -> Text,
        status_since -> Date,
        sent_at -> Nullable<Date>,
        first_response_at -> Nullable<Date>,
        closed_at -> Nullable<Date>,
        received_at -> Nullable<Date>,
        acknowledged_at -> Nullable<Date>,
        recognised_at -> Nullable<Date>,
        deadline_extended_to -> Nullable<Date>,
        deadline_extension_reason -> Nullable<Text>,
        sent_time -> Nullable<Timestamp>,
        abandonment_reason -> Nullable<Text>,
        refusal_ground -> Nullable<Text>,
        outcome_note -> Nullable<Text>,
        foreign_reference -> Nullable<Text>,
        needed_by -> Nullable<Date>,
        /// Never NULL: NOT NULL on PostgreSQL, a trigger on SQLite.
        case_id -> Text,
        facilitators -> Text,
        measure_outcomes -> Text,
        version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        search_text -> Text,
        /// Secret; the published statistics' cell keys (stats::cellkey).
        record_key -> BigInt,
    }
}

diesel::table! {
    reference_counters (year) {
        year -> Integer,
        last -> Integer,
    }
}

diesel::table! {
    request_events (id) {
        id -> Text,
        request_id -> Text,
        seq -> Integer,
        kind -> Text,
        actor_id -> Text,
        recorded_at -> Timestamp,
        effective_date -> Date,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        changes -> Text,
        note -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    /// The newest link of each request's event chain (kept by triggers).
    request_event_heads (request_id) {
        request_id -> Text,
        seq -> Integer,
        hash -> Text,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        case_reference -> Text,
        title -> Text,
        issuing_magistrate -> Text,
        offences -> Text,
        trial_date -> Nullable<Date>,
        victims_identified -> Nullable<Integer>,
        victims_safeguarded -> Nullable<Integer>,
        foreign_proceedings_opened -> Text,
        version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        search_text -> Text,
    }
}

diesel::table! {
    case_events (id) {
        id -> Text,
        case_id -> Text,
        seq -> Integer,
        kind -> Text,
        actor_id -> Text,
        recorded_at -> Timestamp,
        effective_date -> Date,
        changes -> Text,
        note -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// The newest link of each case's event chain (kept by triggers).
    case_event_heads (case_id) {
        case_id -> Text,
        seq -> Integer,
        hash -> Text,
    }
}

diesel::table! {
    /// Cases made by the migration to cases whose `created` event is still
    /// to be written (db::cases::backfill_created_events).
    case_history_backfill (case_id) {
        case_id -> Text,
        first_request -> Text,
        requests -> Integer,
        victims_from -> Nullable<Text>,
    }
}

diesel::table! {
    request_links (id) {
        id -> Text,
        from_request_id -> Text,
        to_request_id -> Text,
        kind -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(requests -> users (created_by));
diesel::table! {
    preservations (id) {
        id -> Text,
        request_id -> Nullable<Text>,
        case_id -> Nullable<Text>,
        holder -> Text,
        country -> Text,
        legal_basis -> Text,
        sent_at -> Date,
        expires_on -> Date,
        released_on -> Nullable<Date>,
        version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    preservation_renewals (preservation_id, seq) {
        preservation_id -> Text,
        seq -> Integer,
        effective_date -> Date,
        previous_expires_on -> Date,
        expires_on -> Date,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(preservation_renewals -> preservations (preservation_id));
diesel::joinable!(requests -> cases (case_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(case_events -> users (actor_id));
diesel::joinable!(request_events -> requests (request_id));
diesel::joinable!(request_events -> users (actor_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(invitations -> users (user_id));
diesel::joinable!(calendar_feeds -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    requests,
    cases,
    case_events,
    case_event_heads,
    case_history_backfill,
    request_links,
    request_events,
    request_event_heads,
    reference_counters,
    request_alert_state,
    alert_runs,
    alert_digests,
    alert_notifications,
    preservations,
    preservation_renewals,
    web_sessions,
    invitations,
    calendar_feeds
);

diesel::table! {
    request_alert_state (request_id) {
        request_id -> Text,
        snoozed_until -> Nullable<Date>,
        snooze_reason -> Nullable<Text>,
        last_follow_up_on -> Nullable<Date>,
        last_follow_up_channel -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(request_alert_state -> requests (request_id));

diesel::table! {
    alert_runs (id) {
        id -> Text,
        started_at -> Timestamp,
        as_of -> Date,
        origin -> Text,
        stalled -> Integer,
        notifications_created -> Integer,
        finished_at -> Nullable<Timestamp>,
        alive_at -> Timestamp,
    }
}

diesel::table! {
    alert_digests (id) {
        id -> Text,
        run_id -> Text,
        recipient -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    alert_notifications (id) {
        id -> BigInt,
        digest_id -> Text,
        request_id -> Text,
        rule -> Text,
        level -> Integer,
        episode -> Date,
        recipient -> Text,
        overdue_days -> Integer,
        created_at -> Timestamp,
    }
}

diesel::joinable!(alert_digests -> alert_runs (run_id));
diesel::joinable!(alert_notifications -> alert_digests (digest_id));
diesel::joinable!(alert_notifications -> requests (request_id));
