ALTER TABLE "analytics"."rollup_hour_pages" ALTER COLUMN "pathname" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "analytics"."rollup_page_visitors" ALTER COLUMN "pathname" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "analytics"."rollup_pages" ALTER COLUMN "pathname" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "analytics"."rollup_pending" ALTER COLUMN "pathname" SET DATA TYPE text collate "C";