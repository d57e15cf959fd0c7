CREATE SCHEMA "bot";
--> statement-breakpoint
CREATE TABLE "bot"."admitted_chats" (
	"chat_id" bigint PRIMARY KEY NOT NULL,
	"invite_id" uuid NOT NULL,
	"telegram_user_id" bigint NOT NULL,
	"username" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot"."erased_users" (
	"user_key" text PRIMARY KEY NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot"."invites" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code_hash" text NOT NULL,
	"hint" text NOT NULL,
	"max_uses" integer NOT NULL,
	"uses" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone,
	"note" text,
	"created_by" uuid,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot"."links" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"chat_id" bigint NOT NULL,
	"username" text,
	"language_code" text,
	"role" text DEFAULT 'user' NOT NULL,
	"language" text,
	"preferences_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot"."outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot"."link_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bot"."admitted_chats" ADD CONSTRAINT "admitted_chats_invite_id_invites_id_fk" FOREIGN KEY ("invite_id") REFERENCES "bot"."invites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "admitted_chats_invite_id_idx" ON "bot"."admitted_chats" USING btree ("invite_id");--> statement-breakpoint
CREATE UNIQUE INDEX "invites_code_hash_idx" ON "bot"."invites" USING btree ("code_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "links_chat_id_idx" ON "bot"."links" USING btree ("chat_id");--> statement-breakpoint
CREATE INDEX "link_tokens_user_id_idx" ON "bot"."link_tokens" USING btree ("user_id");