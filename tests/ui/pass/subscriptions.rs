use jsonrpc_runtime::{subscription, Error, Params, PendingSink, RequestId, Sink, State};

struct Feed;

#[subscription(name = "subscribe_plain", unsubscribe = "unsubscribe_plain")]
async fn plain(sink: Sink<String>, name: String, greeting: Option<String>) {
    let _ = sink
        .send(format!("{}, {name}", greeting.unwrap_or_default()))
        .await;
}

#[subscription(name = "subscribe_whole", unsubscribe = "unsubscribe_whole", notification = "whole")]
async fn whole(sink: Sink<i64>, numbers: Params<Vec<i64>>, _feed: State<Feed>, _id: RequestId) -> Result<(), Error> {
    for n in numbers.iter() {
        sink.send(n).await?;
    }
    Ok(())
}

type Outcome = Result<(), Error>;

#[subscription(unsubscribe = "unsubscribe_pending")]
async fn pending(pending: PendingSink<u8>) -> Outcome {
    pending.accept().send(1u8).await?;
    Ok(())
}

fn main() {
    let _ = (plain::METHOD, whole::METHOD, pending::METHOD);
}
