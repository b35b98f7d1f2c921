-- Photos sent after their complaint. To the municipality's own server a complaint goes first as
-- text (its tracking number and the department's work start at once) and each photo follows as
-- a resumable upload (tus 1.0). A photo is `pending` until the server has all of it and has
-- accepted it (`uploaded`) or refused it for good (`refused`, with the reason). Its upload's URL is
-- stored as soon as the server made it, so an interrupted upload continues from the server's
-- offset after a crash or a power cut instead of starting again.
ALTER TABLE complaint_photos ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE complaint_photos ADD COLUMN upload_url TEXT;
ALTER TABLE complaint_photos ADD COLUMN error TEXT;
-- The photos' own retry schedule once the complaint itself is sent (unix ms; 0 = now).
ALTER TABLE complaints ADD COLUMN photo_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE complaints ADD COLUMN photos_next_attempt_at INTEGER NOT NULL DEFAULT 0;
-- The citizen chose "send photos later, on Wi-Fi": the complaint goes at once, its photos only
-- while the shell says the network is not metered.
ALTER TABLE complaints ADD COLUMN photos_unmetered_only INTEGER NOT NULL DEFAULT 0;
-- Complaints sent before this version carried their photos in their POST.
UPDATE complaint_photos SET state = 'uploaded'
    WHERE local_id IN (SELECT local_id FROM complaints WHERE state <> 'queued');
