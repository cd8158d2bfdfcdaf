"""Discussion of proposals (drafts and open votes, charter amendment drafts included): threaded
comments, reports, moderation with a public reason, appeals, and amendments to drafts."""
