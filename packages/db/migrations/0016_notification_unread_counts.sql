CREATE TABLE "notification"."unread_counts" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"unread" integer NOT NULL
);
--> statement-breakpoint
-- Every statement that changes notifications adds its change to each of its users' unread count
-- (neither read nor archived), in its own transaction: `added` are the rows as they are after it
-- (inserted or updated), `removed` as they were before (updated or deleted). The counts are taken in
-- user order, so statements changing the same users' counts wait for each other, never deadlock.
CREATE FUNCTION "notification"."count_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "notification"."unread_counts" AS counted ("user_id", "unread")
    SELECT "user_id", count(*) FROM added WHERE "read_at" IS NULL AND "archived_at" IS NULL
    GROUP BY "user_id" ORDER BY "user_id"
    ON CONFLICT ("user_id") DO UPDATE SET "unread" = counted."unread" + excluded."unread";
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "notification"."unread_counts" AS counted ("user_id", "unread")
    SELECT "user_id", -count(*) FROM removed WHERE "read_at" IS NULL AND "archived_at" IS NULL
    GROUP BY "user_id" ORDER BY "user_id"
    ON CONFLICT ("user_id") DO UPDATE SET "unread" = counted."unread" + excluded."unread";
  ELSE
    INSERT INTO "notification"."unread_counts" AS counted ("user_id", "unread")
    SELECT "user_id", sum("change") FROM (
      SELECT "user_id", 1 AS "change" FROM added WHERE "read_at" IS NULL AND "archived_at" IS NULL
      UNION ALL
      SELECT "user_id", -1 FROM removed WHERE "read_at" IS NULL AND "archived_at" IS NULL
    ) AS "changes"
    GROUP BY "user_id" HAVING sum("change") <> 0 ORDER BY "user_id"
    ON CONFLICT ("user_id") DO UPDATE SET "unread" = counted."unread" + excluded."unread";
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "notifications_count_unread_inserted" AFTER INSERT ON "notification"."notifications"
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "notification"."count_unread"();
--> statement-breakpoint
CREATE TRIGGER "notifications_count_unread_updated" AFTER UPDATE ON "notification"."notifications"
  REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "notification"."count_unread"();
--> statement-breakpoint
CREATE TRIGGER "notifications_count_unread_deleted" AFTER DELETE ON "notification"."notifications"
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION "notification"."count_unread"();
--> statement-breakpoint
-- What is stored, counted in the migration's transaction: creating the triggers locked the table
-- against writes until it commits, so no change falls between the count and the triggers.
INSERT INTO "notification"."unread_counts" ("user_id", "unread")
SELECT "user_id", count(*) FROM "notification"."notifications" WHERE "read_at" IS NULL AND "archived_at" IS NULL GROUP BY "user_id";
