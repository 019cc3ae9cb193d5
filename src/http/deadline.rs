//! The body deadline: a client that sends its headers and then stalls (or
//! trickles) its body is cut off after `server.request_timeout_seconds`.
//!
//! actix-web bounds the time to send headers (`client_request_timeout`) but
//! not the body: a body read would wait as long as the client keeps the
//! connection open, holding a request slot. Here the body stream fails once
//! the deadline passes, so whatever extractor was reading it gives up before
//! the handler runs (nothing is written), and the response becomes 408 with
//! the connection closed. Handlers themselves are not cut short: dropping a
//! write midway would leave the client unsure whether it happened; the
//! database calls they make are bounded by `database.timeout_seconds`.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, ResponseError, web};
use futures_util::Stream;

use super::error::ApiError;
use super::state::AppState;

/// The middleware (`middleware::from_fn(deadline::body_deadline)`).
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|s| Duration::from_secs(s.services.settings.server.request_timeout_seconds));
    let payload = req.take_payload();
    let (Some(limit), false) = (limit, matches!(payload, Payload::None)) else {
        req.set_payload(payload);
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let expired = Rc::new(Cell::new(false));
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
        payload,
        deadline: Box::pin(sleep(limit)),
        expired: expired.clone(),
    });
    req.set_payload(Payload::from(stream));
    let res = next.call(req).await?;
    if !expired.get() {
        return Ok(res.map_into_left_body());
    }
    let (req, _) = res.into_parts();
    let response = ApiError::RequestTimeout.error_response();
    Ok(ServiceResponse::new(req, response).map_into_right_body())
}

/// A body stream that fails once its deadline has passed.
struct Deadline {
    payload: Payload,
    deadline: Pin<Box<Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.get() {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired.set(true);
            let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "body too slow");
            return Poll::Ready(Some(Err(PayloadError::Io(timed_out))));
        }
        Pin::new(&mut self.payload).poll_next(cx)
    }
}
